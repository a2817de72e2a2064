using System.Text.Json;

namespace QuietStar.Core.Evaluation.Datasets;

/// <summary>Reads JSON Lines data sets (one JSON object per line), reporting bad lines by file and line number.</summary>
public static class JsonlFile
{
    /// <summary>
    /// Parses every non-blank line of <paramref name="path"/> with <paramref name="parse"/>. A line is malformed when
    /// it is not valid JSON or <paramref name="parse"/> throws <see cref="FormatException"/> (a missing or mistyped field).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="parse">Turns one record into an item; throws <see cref="FormatException"/> for a bad record.</param>
    /// <param name="skipMalformed">Skip malformed lines and count them instead of failing.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is malformed (the message names the file and line), or the file has no valid record.</exception>
    public static JsonlReadResult<T> Read<T>(string path, Func<JsonElement, T> parse, bool skipMalformed = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(parse);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Data set not found: '{path}'.", path);
        }

        var items = new List<T>();
        int skipped = 0, lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (TryParse(line, parse, out T? item, out string? problem))
            {
                items.Add(item);
            }
            else if (skipMalformed)
            {
                skipped++;
            }
            else
            {
                throw new InvalidDataException(
                    $"'{path}' line {lineNumber} is malformed: {problem} Fix the line, or skip malformed lines (skipMalformed).");
            }
        }

        if (items.Count == 0)
        {
            throw new InvalidDataException(lineNumber == 0 || skipped == 0
                ? $"'{path}' is empty: it holds no JSON records."
                : $"'{path}' holds no valid record: all {skipped} non-blank lines are malformed.");
        }

        return new JsonlReadResult<T>(items, skipped);
    }

    private static bool TryParse<T>(string line, Func<JsonElement, T> parse, out T item, out string? problem)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            item = parse(document.RootElement);
            problem = null;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            item = default!;
            problem = ex.Message;
            return false;
        }
    }
}
