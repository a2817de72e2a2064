using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace QuietStar.Core.Tokenization;

/// <summary>
/// A Hugging Face GPT-2 byte-level BPE vocabulary (<c>vocab.json</c> + <c>merges.txt</c>) encoded by
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with GPT-2's pre-tokenization; no special token is
/// recognised in text and <c>&lt;|endoftext|&gt;</c>, when present, serves as both BOS and EOS.
/// </summary>
internal sealed partial class ByteLevelBpeBaseTokenizer : IBaseTokenizer
{
    /// <summary>Name of the vocabulary file in a tokenizer folder.</summary>
    public const string VocabFileName = "vocab.json";

    /// <summary>Name of the merges file in a tokenizer folder.</summary>
    public const string MergesFileName = "merges.txt";

    private const string EndOfText = "<|endoftext|>";

    private readonly BpeTokenizer _tokenizer;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly byte[][] _tokenBytes;

    private ByteLevelBpeBaseTokenizer(
        BpeTokenizer tokenizer, Dictionary<string, int> vocabulary, byte[] vocabFile, byte[] mergesFile)
    {
        _tokenizer = tokenizer;
        _vocabulary = vocabulary;
        VocabularySize = vocabulary.Count;
        BosId = EosId = vocabulary.TryGetValue(EndOfText, out int endOfText) ? endOfText : null;
        SourceFiles = new Dictionary<string, byte[]> { [VocabFileName] = vocabFile, [MergesFileName] = mergesFile };
        _tokenBytes = new byte[VocabularySize][];
        foreach ((string token, int id) in vocabulary)
        {
            _tokenBytes[id] = ByteLevelAlphabet.ToBytes(token);
        }
    }

    /// <inheritdoc/>
    public int VocabularySize { get; }

    /// <inheritdoc/>
    public int? BosId { get; }

    /// <inheritdoc/>
    public int? EosId { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, byte[]> SourceFiles { get; }

    /// <summary>Builds the tokenizer from the contents of the two files, named in error messages by their paths.</summary>
    /// <exception cref="InvalidDataException">The files are not a GPT-2 byte-level BPE vocabulary.</exception>
    public static ByteLevelBpeBaseTokenizer Load(byte[] vocabFile, string vocabPath, byte[] mergesFile, string mergesPath)
    {
        Dictionary<string, int> vocabulary = ParseVocabulary(vocabFile, vocabPath);
        RequireContiguousIds(vocabulary, vocabPath);
        RequireByteAlphabet(vocabulary, vocabPath);
        var options = new BpeOptions(vocabulary)
        {
            Merges = ParseMerges(mergesFile, mergesPath),
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(Gpt2PreTokenizer(), specialTokens: null),
        };
        try
        {
            return new ByteLevelBpeBaseTokenizer(BpeTokenizer.Create(options), vocabulary, vocabFile, mergesFile);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidDataException($"'{mergesPath}' does not fit '{vocabPath}': {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    public bool TryGetId(string token, out int id) => _vocabulary.TryGetValue(token, out id);

    /// <inheritdoc/>
    public IReadOnlyList<int> EncodeSegment(string segment, bool startsText) =>
        segment.Length == 0 ? [] : _tokenizer.EncodeToIds(segment);

    /// <inheritdoc/>
    public ReadOnlySpan<byte> GetTokenBytes(int id, bool followsBos) => id == BosId ? [] : _tokenBytes[id];

    /// <summary>GPT-2's split into contractions, letter runs, digit runs, other-symbol runs and whitespace.</summary>
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2PreTokenizer();

    private static Dictionary<string, int> ParseVocabulary(byte[] vocabFile, string vocabPath)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, int>>(vocabFile)
                ?? throw new JsonException("the file holds null");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException(
                $"'{vocabPath}' is not a GPT-2 vocab.json (a JSON object mapping each token to its id): {ex.Message}", ex);
        }
    }

    private static void RequireContiguousIds(Dictionary<string, int> vocabulary, string vocabPath)
    {
        if (vocabulary.Values.Distinct().Count() != vocabulary.Count
            || vocabulary.Values.Any(id => id < 0 || id >= vocabulary.Count))
        {
            throw new InvalidDataException(
                $"'{vocabPath}' must give its {vocabulary.Count} tokens the distinct ids 0..{vocabulary.Count - 1}.");
        }
    }

    /// <summary>Without every byte symbol, the library would silently drop the characters it cannot spell.</summary>
    private static void RequireByteAlphabet(Dictionary<string, int> vocabulary, string vocabPath)
    {
        for (int b = 0; b < 256; b++)
        {
            char symbol = ByteLevelAlphabet.ToChar((byte)b);
            if (!vocabulary.ContainsKey(symbol.ToString()))
            {
                throw new InvalidDataException(
                    $"'{vocabPath}' is not a GPT-2 byte-level vocabulary: it lacks '{symbol}', the symbol of byte " +
                    $"0x{b:X2}. All 256 byte symbols are required.");
            }
        }
    }

    private static List<string> ParseMerges(byte[] mergesFile, string mergesPath)
    {
        string[] lines = Encoding.UTF8.GetString(mergesFile).Split('\n');
        var merges = new List<string>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith("#version", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.Split(' ').Length != 2)
            {
                throw new InvalidDataException(
                    $"'{mergesPath}' line {i + 1} is not a merge of two tokens separated by one space: \"{line}\".");
            }

            merges.Add(line);
        }

        return merges;
    }
}
