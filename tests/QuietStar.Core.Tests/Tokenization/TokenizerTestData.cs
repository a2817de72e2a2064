using System.Text.Json;
using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Tests.Tokenization;

/// <summary>Paths of the shipped llama2.c tokenizer and a hand-made GPT-2 byte-level vocabulary.</summary>
internal static class TokenizerTestData
{
    public static string Stories260KFolder => Path.Combine(AppContext.BaseDirectory, "TestData", "stories260k");

    public static string Tok512ModelPath => Path.Combine(Stories260KFolder, "tok512.model");

    public static TextTokenizer LoadTok512() => TextTokenizer.FromSentencePiece(Tok512ModelPath);

    public static (int[] TokenIds, string Text) LoadReferenceGreedy()
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Stories260KFolder, "reference_greedy.json")));
        int[] ids = [.. json.RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32())];
        return (ids, json.RootElement.GetProperty("text").GetString()!);
    }

    /// <summary>Ids of the tiny GPT-2 vocabulary: the 256 byte symbols in byte order, then these merges.</summary>
    public const int He = 256, Ll = 257, Hell = 258, Hello = 259, SpaceW = 260, Or = 261, SpaceWor = 262, Ld = 263,
        SpaceWorld = 264, EndOfText = 265;

    private static readonly string[] s_merges =
        ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"];

    /// <summary>
    /// Writes vocab.json and merges.txt of a tiny byte-level vocabulary (266 tokens with <c>&lt;|endoftext|&gt;</c>)
    /// into <paramref name="folder"/> and returns their paths.
    /// </summary>
    public static (string VocabPath, string MergesPath) WriteTinyGpt2(string folder, bool withEndOfText = true)
    {
        var vocabulary = new Dictionary<string, int>();
        foreach (char symbol in Gpt2ByteSymbols())
        {
            vocabulary[symbol.ToString()] = vocabulary.Count;
        }

        foreach (string merge in s_merges)
        {
            vocabulary[merge.Replace(" ", "")] = vocabulary.Count;
        }

        if (withEndOfText)
        {
            vocabulary["<|endoftext|>"] = vocabulary.Count;
        }

        string vocabPath = Path.Combine(folder, "vocab.json");
        string mergesPath = Path.Combine(folder, "merges.txt");
        File.WriteAllText(vocabPath, JsonSerializer.Serialize(vocabulary));
        File.WriteAllText(mergesPath, "#version: 0.2\n" + string.Join("\n", s_merges) + "\n");
        return (vocabPath, mergesPath);
    }

    /// <summary>GPT-2's spelling of bytes 0..255: printable Latin-1 as itself, the rest from U+0100 on.</summary>
    private static IEnumerable<char> Gpt2ByteSymbols()
    {
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is (>= '!' and <= '~') or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);
            yield return printable ? (char)b : (char)next++;
        }
    }
}
