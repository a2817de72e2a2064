using System.Text;
using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Inference;

/// <summary>The text side of one sequence being generated: its tokens, streamed text, stop strings and stop reason.</summary>
internal sealed class DecodingRow
{
    private readonly TokenStreamDecoder _decoder;
    private readonly StopStringFilter _stopStrings;
    private readonly List<int> _tokens = [];
    private readonly StringBuilder _text = new();
    private StopReason? _stopReason;

    /// <summary>Starts a row after <paramref name="promptIds"/>, which prime the decoder (e.g. for llama2.c's no-space-after-BOS rule).</summary>
    public DecodingRow(TextTokenizer tokenizer, int[] promptIds, IReadOnlyList<string> stopStrings)
    {
        PromptIds = promptIds;
        _decoder = tokenizer.CreateStreamDecoder();
        foreach (int id in promptIds)
        {
            _decoder.Append(id);
        }

        _stopStrings = new StopStringFilter(stopStrings);
    }

    /// <summary>The prompt's token ids (starting with BOS when the tokenizer has one).</summary>
    public int[] PromptIds { get; }

    /// <summary>True once the row has stopped.</summary>
    public bool Finished => _stopReason is not null;

    /// <summary>The continuation so far.</summary>
    public GeneratedText Result => new(_text.ToString(), [.. _tokens], _stopReason ?? StopReason.MaxTokens);

    /// <summary>Adds a generated token and returns its piece of text.</summary>
    /// <param name="id">The token.</param>
    /// <param name="isStopToken">Whether the token ends the text (an end-of-text token, with stopping enabled).</param>
    /// <param name="isLast">Whether this is the last token the budget allows.</param>
    public GeneratedPiece Accept(int id, bool isStopToken, bool isLast)
    {
        _tokens.Add(id);
        string decoded = _decoder.Append(id);
        string text;
        if (isStopToken || isLast)
        {
            text = _stopStrings.Finish(decoded + _decoder.Flush());
            _stopReason = _stopStrings.Stopped ? StopReason.StopString : isStopToken ? StopReason.StopToken : StopReason.MaxTokens;
        }
        else
        {
            text = _stopStrings.Push(decoded);
            _stopReason = _stopStrings.Stopped ? StopReason.StopString : null;
        }

        _text.Append(text);
        return new GeneratedPiece(id, text);
    }
}
