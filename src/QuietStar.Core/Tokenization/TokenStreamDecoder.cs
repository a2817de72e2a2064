using System.Text;

namespace QuietStar.Core.Tokenization;

/// <summary>
/// Decodes token ids one at a time, as a model generates them. Each <see cref="Append"/> returns only the text
/// completed by that id: a character split over several byte-fallback tokens comes out whole with the token that
/// completes it, and the leading-space rule of <see cref="TextTokenizer.Decode"/> applies. Concatenating every
/// returned piece and a final <see cref="Flush"/> gives exactly <see cref="TextTokenizer.Decode"/> of the same ids.
/// Not thread-safe: use one decoder per sequence.
/// </summary>
internal sealed class TokenStreamDecoder
{
    private readonly TextTokenizer _tokenizer;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetDecoder();
    private int? _previousId;

    internal TokenStreamDecoder(TextTokenizer tokenizer) => _tokenizer = tokenizer;

    /// <summary>Adds the next token and returns the text it completes (often empty for a byte token).</summary>
    /// <param name="id">A token id in <c>[0, VocabularySize)</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public string Append(int id)
    {
        ReadOnlySpan<byte> bytes = _tokenizer.GetTokenBytes(id, _previousId);
        _previousId = id;
        return DecodeBytes(bytes, flush: false);
    }

    /// <summary>
    /// Ends the stream: returns U+FFFD for bytes still waiting for the rest of a UTF-8 character, or an empty
    /// string. The decoder may be used again afterwards.
    /// </summary>
    public string Flush() => DecodeBytes([], flush: true);

    private string DecodeBytes(ReadOnlySpan<byte> bytes, bool flush)
    {
        var chars = new char[_utf8.GetCharCount(bytes, flush)];
        _utf8.GetChars(bytes, chars, flush);
        return new string(chars);
    }
}
