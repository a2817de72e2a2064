namespace QuietStar.Core.Tokenization;

/// <summary>
/// The vocabulary a model was trained with (SentencePiece or GPT-2 byte-level BPE), without the extra special
/// tokens that <see cref="TextTokenizer"/> layers on top. Implementations are immutable.
/// </summary>
internal interface IBaseTokenizer
{
    /// <summary>Number of ids of the vocabulary: every id is in <c>[0, VocabularySize)</c>.</summary>
    int VocabularySize { get; }

    /// <summary>Beginning-of-sequence id, if the vocabulary has one.</summary>
    int? BosId { get; }

    /// <summary>End-of-sequence id, if the vocabulary has one.</summary>
    int? EosId { get; }

    /// <summary>The files this vocabulary was read from, by the name they get in a saved folder.</summary>
    IReadOnlyDictionary<string, byte[]> SourceFiles { get; }

    /// <summary>Looks a token up by its spelling in the vocabulary file.</summary>
    bool TryGetId(string token, out int id);

    /// <summary>
    /// Encodes plain text (no special tokens in it). <paramref name="startsText"/> is true for the segment that
    /// opens a non-empty text, which is where SentencePiece adds its dummy-prefix space, even to an empty segment.
    /// </summary>
    IReadOnlyList<int> EncodeSegment(string segment, bool startsText);

    /// <summary>
    /// The UTF-8 bytes token <paramref name="id"/> contributes to decoded text (possibly an incomplete character);
    /// <paramref name="followsBos"/> tells whether the previous token was BOS.
    /// </summary>
    ReadOnlySpan<byte> GetTokenBytes(int id, bool followsBos);
}
