using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace QuietStar.Core.Tokenization;

/// <summary>
/// A SentencePiece BPE model (<c>tokenizer.model</c> of Llama, Mistral or llama2.c) read by Microsoft.ML.Tokenizers,
/// encoding and decoding exactly as llama2.c's <c>run.c</c>: a dummy-prefix space before non-empty text, whitespace
/// kept as written, byte fallback, and on decoding the leading space of a piece dropped right after BOS.
/// </summary>
internal sealed class SentencePieceBaseTokenizer : IBaseTokenizer
{
    /// <summary>Name of the model file in a tokenizer folder.</summary>
    public const string ModelFileName = "tokenizer.model";

    private const char SpaceMark = '\u2581';

    private const string Expected =
        "Expected a SentencePiece BPE model (the tokenizer.model protobuf of Llama, Mistral or llama2.c).";

    private readonly LlamaTokenizer _tokenizer;
    private readonly SentencePieceNormalizer _whitespaceEscaper;
    private readonly string _dummyPrefix;
    private readonly byte[][] _pieceBytes;
    private readonly bool[] _startsWithSpace;

    private SentencePieceBaseTokenizer(LlamaTokenizer tokenizer, byte[] model)
    {
        _tokenizer = tokenizer;
        // Whitespace is escaped but never collapsed: llama2.c keeps "a  b" as two spaces even though SentencePiece
        // trains with remove_extra_whitespaces, and text must survive an encode/decode round trip.
        _whitespaceEscaper = new SentencePieceNormalizer(
            removeExtraWhiteSpaces: false, addDummyPrefix: false, escapeWhiteSpaces: tokenizer.EscapeWhiteSpaces,
            treatWhitespaceAsSuffix: false, specialTokens: null);
        _dummyPrefix = tokenizer.AddDummyPrefix ? _whitespaceEscaper.Normalize(" ") : ""; // "▁" when escaping
        VocabularySize = tokenizer.Vocabulary.Values.Max() + 1;
        BosId = NullIfNegative(tokenizer.BeginningOfSentenceId);
        EosId = NullIfNegative(tokenizer.EndOfSentenceId);
        SourceFiles = new Dictionary<string, byte[]> { [ModelFileName] = model };
        (_pieceBytes, _startsWithSpace) = BuildPieceBytes(tokenizer, VocabularySize);
    }

    /// <inheritdoc/>
    public int VocabularySize { get; }

    /// <inheritdoc/>
    public int? BosId { get; }

    /// <inheritdoc/>
    public int? EosId { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, byte[]> SourceFiles { get; }

    /// <summary>
    /// Reads a serialized SentencePiece <c>ModelProto</c>; <paramref name="source"/> names where it came from
    /// in error messages.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a SentencePiece BPE model.</exception>
    public static SentencePieceBaseTokenizer Load(byte[] model, string source)
    {
        if (model.Length == 0)
        {
            throw new InvalidDataException($"{source} is empty. {Expected}");
        }

        LlamaTokenizer tokenizer = Parse(model, source);
        if (tokenizer.Vocabulary.Count == 0)
        {
            throw new InvalidDataException($"{source} has no vocabulary. {Expected}");
        }

        if (tokenizer.TreatWhitespaceAsSuffix)
        {
            throw new InvalidDataException(
                $"{source} treats whitespace as a suffix, which is not supported. {Expected}");
        }

        return new SentencePieceBaseTokenizer(tokenizer, model);
    }

    /// <inheritdoc/>
    public bool TryGetId(string token, out int id) => _tokenizer.Vocabulary.TryGetValue(token, out id);

    /// <inheritdoc/>
    public IReadOnlyList<int> EncodeSegment(string segment, bool startsText)
    {
        string escaped = _whitespaceEscaper.Normalize(segment);
        string pieces = startsText ? _dummyPrefix + escaped : escaped;
        return pieces.Length == 0
            ? []
            : _tokenizer.EncodeToIds(
                pieces, addBeginningOfSentence: false, addEndOfSentence: false,
                considerPreTokenization: false, considerNormalization: false);
    }

    /// <inheritdoc/>
    public ReadOnlySpan<byte> GetTokenBytes(int id, bool followsBos)
    {
        if (id == BosId || id == EosId)
        {
            return [];
        }

        return followsBos && _startsWithSpace[id] ? _pieceBytes[id].AsSpan(1) : _pieceBytes[id];
    }

    private static LlamaTokenizer Parse(byte[] model, string source)
    {
        try
        {
            return LlamaTokenizer.Create(new MemoryStream(model, writable: false), false, false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The library surfaces protobuf errors, NullReferenceException and ArgumentException here.
            throw new InvalidDataException($"{source} could not be read: {ex.Message} {Expected}", ex);
        }
    }

    private static (byte[][] Bytes, bool[] StartsWithSpace) BuildPieceBytes(LlamaTokenizer tokenizer, int size)
    {
        var bytes = new byte[size][];
        var startsWithSpace = new bool[size];
        Array.Fill(bytes, []);
        foreach ((string piece, int id) in tokenizer.Vocabulary)
        {
            if (tokenizer.ByteFallback && TryParseBytePiece(piece, out byte value))
            {
                bytes[id] = [value];
                continue;
            }

            bytes[id] = Encoding.UTF8.GetBytes(piece.Replace(SpaceMark, ' '));
            startsWithSpace[id] = bytes[id] is [(byte)' ', ..];
        }

        return (bytes, startsWithSpace);
    }

    /// <summary>Recognises the byte-fallback pieces <c>&lt;0x00&gt;</c> .. <c>&lt;0xFF&gt;</c>.</summary>
    private static bool TryParseBytePiece(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static int? NullIfNegative(int id) => id >= 0 ? id : null;
}
