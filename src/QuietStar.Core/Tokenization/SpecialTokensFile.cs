using System.Text.Encodings.Web;
using System.Text.Json;

namespace QuietStar.Core.Tokenization;

/// <summary>
/// <c>quietstar_special_tokens.json</c>: the extra special tokens of a saved <see cref="TextTokenizer"/>, with the
/// base vocabulary size they were numbered after so that a mismatched vocabulary is caught on loading.
/// </summary>
internal static class SpecialTokensFile
{
    /// <summary>Name of the file in a tokenizer folder.</summary>
    public const string FileName = "quietstar_special_tokens.json";

    private static readonly JsonSerializerOptions s_options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        // Readable tokens ("<|startthought|>", not "\u003C|startthought|\u003E"); the file is never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the tokens, which have the ids <c>baseVocabularySize + i</c>, into <paramref name="folder"/>.</summary>
    public static void Write(string folder, int baseVocabularySize, IReadOnlyList<string> tokens)
    {
        var content = new Content(
            baseVocabularySize, [.. tokens.Select((token, i) => new Entry(token, baseVocabularySize + i))]);
        File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(content, s_options));
    }

    /// <summary>The tokens saved in <paramref name="folder"/>, in id order; none when the file is absent.</summary>
    /// <exception cref="InvalidDataException">The file is malformed or was written for another vocabulary.</exception>
    public static string[] ReadIfPresent(string folder, int baseVocabularySize)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return [];
        }

        Content content = Parse(path);
        if (content.BaseVocabularySize != baseVocabularySize)
        {
            throw new InvalidDataException(
                $"'{path}' was written for a base vocabulary of {content.BaseVocabularySize} tokens, but the " +
                $"tokenizer in that folder has {baseVocabularySize}.");
        }

        for (int i = 0; i < content.ExtraSpecialTokens.Count; i++)
        {
            RequireEntry(path, content.ExtraSpecialTokens[i], baseVocabularySize + i);
        }

        return [.. content.ExtraSpecialTokens.Select(entry => entry.Token)];
    }

    private static Content Parse(string path)
    {
        try
        {
            Content? content = JsonSerializer.Deserialize<Content>(File.ReadAllText(path), s_options);
            return content?.ExtraSpecialTokens is null ? throw new JsonException("extra_special_tokens is missing") : content;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException(
                $"'{path}' is not a valid {FileName} (base_vocabulary_size and extra_special_tokens): {ex.Message}", ex);
        }
    }

    private static void RequireEntry(string path, Entry entry, int expectedId)
    {
        if (string.IsNullOrEmpty(entry.Token) || entry.Id != expectedId)
        {
            throw new InvalidDataException(
                $"'{path}': extra special token \"{entry.Token}\" has id {entry.Id}; expected a non-empty token with " +
                $"id {expectedId} (extra tokens are numbered consecutively after the base vocabulary).");
        }
    }

    private sealed record Content(int BaseVocabularySize, IReadOnlyList<Entry> ExtraSpecialTokens);

    private sealed record Entry(string Token, int Id);
}
