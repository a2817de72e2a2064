using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Inference;

/// <summary>
/// Continues prompts with a causal language model, token by token, with a key/value cache: the prompt is run once
/// (prefill), then each step feeds only the newest token. Text is streamed through the tokenizer's stream decoder.
/// Several prompts can be generated together: they are left-padded, the padding is masked out of attention and each
/// row gets its own position ids, so every row continues as it would alone (up to floating-point rounding).
/// </summary>
/// <remarks>
/// Every tensor lives on the model's device; sampling draws from a <see cref="Generator"/> seeded from
/// <see cref="GenerationOptions.Seed"/>, never from global random state. A prompt is encoded with the tokenizer's BOS
/// when it has one, so an empty prompt starts from BOS alone.
/// </remarks>
internal sealed class TextGenerator
{
    private readonly CausalLanguageModel _model;
    private readonly TextTokenizer _tokenizer;
    private readonly int _vocabulary; // ids the generator may produce: those both the model and the tokenizer know

    /// <summary>Creates a generator for <paramref name="model"/> and the <paramref name="tokenizer"/> it was trained with.</summary>
    /// <exception cref="InvalidOperationException">The tokenizer has more base tokens than the model's vocabulary.</exception>
    public TextGenerator(CausalLanguageModel model, TextTokenizer tokenizer)
        : this(model, tokenizer, int.MaxValue)
    {
    }

    /// <summary>Creates a generator that never produces ids at or above <paramref name="vocabularyLimit"/> (e.g. a Quiet-STaR model's thought tokens).</summary>
    internal TextGenerator(CausalLanguageModel model, TextTokenizer tokenizer, int vocabularyLimit)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        tokenizer.EnsureFits(model.Config.VocabSize);
        _model = model;
        _tokenizer = tokenizer;
        _vocabulary = Math.Min(Math.Min(model.Config.VocabSize, tokenizer.VocabularySize), vocabularyLimit);
        StopTokenIds = new[] { model.Config.EosTokenId, model.Config.BosTokenId, tokenizer.EosId, tokenizer.BosId }
            .OfType<int>()
            .Where(id => id < _vocabulary)
            .ToHashSet();
    }

    /// <summary>
    /// The tokens that end a text when <see cref="GenerationOptions.StopAtEos"/> is set: the EOS and BOS ids of the model
    /// configuration and of the tokenizer. A generated BOS starts a new document (llama2.c models separate their
    /// training stories with BOS and never produce EOS, and llama2.c's <c>run.c</c> stops there), so it ends the text too.
    /// </summary>
    public IReadOnlySet<int> StopTokenIds { get; }

    /// <summary>Streams the continuation of <paramref name="prompt"/>, one piece per generated token.</summary>
    /// <param name="prompt">The text to continue; empty to start from BOS.</param>
    /// <param name="options">Decoding and stopping options.</param>
    /// <returns>The pieces, produced lazily as the sequence is enumerated; the prompt is not included.</returns>
    /// <exception cref="ArgumentException">
    /// The options are invalid, or the prompt's tokens plus <see cref="GenerationOptions.MaxTokens"/> exceed the model's
    /// context (thrown here, before any work), or the prompt is empty and the tokenizer has no BOS.
    /// </exception>
    public IEnumerable<GeneratedPiece> Stream(string prompt, GenerationOptions options)
    {
        var rows = Prepare([prompt], options);
        return Decode(rows, options).Select(item => item.Piece);
    }

    /// <summary>Generates the whole continuation of <paramref name="prompt"/>.</summary>
    /// <inheritdoc cref="Stream" path="/param"/>
    /// <inheritdoc cref="Stream" path="/exception"/>
    public GeneratedText Generate(string prompt, GenerationOptions options) => GenerateBatch([prompt], options)[0];

    /// <summary>
    /// Generates continuations of several prompts in one batch (left-padded, padding masked). Each result equals what
    /// <see cref="Generate"/> gives for that prompt alone, up to floating-point rounding in near ties.
    /// </summary>
    /// <param name="prompts">The texts to continue.</param>
    /// <param name="options">Decoding and stopping options, shared by every row; when sampling, the rows draw from one generator.</param>
    /// <returns>One result per prompt, in order.</returns>
    /// <exception cref="ArgumentException">
    /// No prompts, invalid options, or the longest prompt's tokens plus <see cref="GenerationOptions.MaxTokens"/>
    /// exceed the model's context.
    /// </exception>
    public IReadOnlyList<GeneratedText> GenerateBatch(IReadOnlyList<string> prompts, GenerationOptions options) =>
        GenerateBatch(prompts, options, CancellationToken.None);

    /// <summary>As <see cref="GenerateBatch(IReadOnlyList{string}, GenerationOptions)"/>, stopping between two tokens when <paramref name="cancellationToken"/> fires.</summary>
    internal IReadOnlyList<GeneratedText> GenerateBatch(IReadOnlyList<string> prompts, GenerationOptions options, CancellationToken cancellationToken)
    {
        var rows = Prepare(prompts, options);
        foreach (var _ in Decode(rows, options))
        {
            cancellationToken.ThrowIfCancellationRequested();  // the rows collect the text; the pieces are only for streaming
        }

        return rows.Select(row => row.Result).ToArray();
    }

    /// <summary>As <see cref="GenerateBatch(IReadOnlyList{string}, GenerationOptions)"/> for prompts given as token ids (BOS included where wanted).</summary>
    internal IReadOnlyList<GeneratedText> GenerateFromIds(IReadOnlyList<int[]> promptIds, GenerationOptions options)
    {
        options.Validate();
        var rows = Prepare(promptIds, options);
        foreach (var _ in Decode(rows, options))
        {
            // The rows collect the text.
        }

        return rows.Select(row => row.Result).ToArray();
    }

    /// <summary>Validates everything and encodes the prompts, before any tensor work.</summary>
    private DecodingRow[] Prepare(IReadOnlyList<string> prompts, GenerationOptions options) =>
        Prepare(PromptEncoding.Encode(_tokenizer, prompts, options), options);

    private DecodingRow[] Prepare(IReadOnlyList<int[]> encoded, GenerationOptions options)
    {
        int longest = encoded.Max(ids => ids.Length);
        int context = _model.Config.MaxPositionEmbeddings;
        if ((long)longest + options.MaxTokens > context)          // long: MaxTokens may be int.MaxValue
        {
            throw new ArgumentException(
                $"The prompt has {longest} tokens and MaxTokens is {options.MaxTokens}: {(long)longest + options.MaxTokens} tokens do not fit " +
                $"the model's context of {context}. Shorten the prompt or lower MaxTokens to at most {Math.Max(0, context - longest)}.",
                nameof(options));
        }

        return encoded.Select(ids => new DecodingRow(_tokenizer, ids, options.StopStrings)).ToArray();
    }

    /// <summary>The decoding loop: prefill, then one token per step, until every row has stopped.</summary>
    private IEnumerable<(int Row, GeneratedPiece Piece)> Decode(DecodingRow[] rows, GenerationOptions options)
    {
        using var cache = new KeyValueCache(_model.Config.NumLayers);
        using var generator = options.Greedy ? null : new Generator(unchecked((ulong)(options.Seed ?? Random.Shared.NextInt64())), _model.Device);
        var batch = new LeftPaddedBatch(rows.Select(row => row.PromptIds).ToArray(), _model.Device);
        using var backbone = new DecodingBackbone(_model, extraPositions: 0, textPositions: (int)Math.Min((long)batch.Longest + options.MaxTokens, _model.Config.MaxPositionEmbeddings));
        foreach (var item in DecodingLoop.Run(rows, batch.PromptIds, options, StopTokenIds, ids => Step(ids, batch, cache, backbone, options, generator)))
        {
            yield return item;
        }
    }

    /// <summary>Runs the model on the new tokens of every row (appending them to the cache) and chooses the next ones.</summary>
    private int[] Step(long[] ids, LeftPaddedBatch batch, KeyValueCache cache, DecodingBackbone backbone, GenerationOptions options, Generator? generator)
    {
        using var scope = torch.NewDisposeScope();
        using var inference = torch.inference_mode();
        var hidden = backbone.ForwardText(batch.Input(ids, cache));                              // [B, L, H]
        var logits = _model.ComputeLogits(hidden.select(1, -1)).narrow(-1, 0, _vocabulary);    // [B, V]
        return TokenSampler.Choose(logits, options, generator);
    }
}
