using System.Text;
using System.Text.Json;

namespace QuietStar.Core.Data;

/// <summary>Reads the documents of one corpus file (plain text or JSON Lines) as strings.</summary>
internal sealed class CorpusFileReader(TextCorpusOptions options, JsonlRecordFormatter formatter)
{
    /// <summary>Malformed lines skipped so far (only with <see cref="TextCorpusOptions.SkipMalformed"/>).</summary>
    public List<CorpusFormatException> Skipped { get; } = [];

    /// <summary>The documents of <paramref name="reader"/>; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="CorpusFormatException">A JSON Lines line is malformed and skipping is off.</exception>
    public IEnumerable<string> ReadDocuments(TextReader reader, string source) =>
        ResolveFormat(source) == CorpusFileFormat.Jsonl ? ReadJsonl(reader, source) : ReadText(reader);

    private CorpusFileFormat ResolveFormat(string source) =>
        options.Format != CorpusFileFormat.Auto ? options.Format
        : Path.GetExtension(source).ToLowerInvariant() is ".jsonl" or ".json" ? CorpusFileFormat.Jsonl
        : CorpusFileFormat.Text;

    private IEnumerable<string> ReadText(TextReader reader)
    {
        if (options.DocumentBoundary == TextDocumentBoundary.File)
        {
            string all = reader.ReadToEnd();
            if (!string.IsNullOrWhiteSpace(all))
            {
                yield return all;
            }

            yield break;
        }

        var document = new StringBuilder();
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            bool blank = string.IsNullOrWhiteSpace(line);
            if (options.DocumentBoundary == TextDocumentBoundary.Line || blank)
            {
                if (document.Length > 0)
                {
                    yield return document.ToString();
                    document.Clear();
                }

                if (blank)
                {
                    continue;
                }
            }

            document.Append(document.Length > 0 ? "\n" : "").Append(line);
        }

        if (document.Length > 0)
        {
            yield return document.ToString();
        }
    }

    private IEnumerable<string> ReadJsonl(TextReader reader, string source) => JsonLines.Read(reader, Format, (lineNumber, e) =>
    {
        string problem = e is JsonException ? $"not valid JSON ({e.Message})" : e.Message;
        var error = new CorpusFormatException(source, lineNumber, problem, e);
        if (!options.SkipMalformed)
        {
            throw error;
        }

        Skipped.Add(error);
    });

    /// <summary>The document of one JSON record; a record that is not an object is malformed.</summary>
    private string Format(JsonElement record) => record.ValueKind == JsonValueKind.Object
        ? formatter.Format(record)
        : throw new FormatException($"expected a JSON object, found {record.ValueKind}");
}

/// <summary>A corpus file holds a line that cannot be read as a document; the message names the file and line.</summary>
public sealed class CorpusFormatException : FormatException
{
    /// <summary>Creates the exception for line <paramref name="lineNumber"/> (1-based) of <paramref name="filePath"/>.</summary>
    public CorpusFormatException(string filePath, int lineNumber, string problem, Exception? innerException = null)
        : base($"'{filePath}' line {lineNumber}: {problem}", innerException)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
    }

    /// <summary>The file (or source name) with the bad line.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line number.</summary>
    public int LineNumber { get; }
}
