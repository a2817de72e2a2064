using System.Text.Json;
using QuietStar.Core.Data;

namespace QuietStar.Core.Evaluation;

/// <summary>Reads JSON Lines data sets (one JSON object per line), reporting bad lines by file and line number.</summary>
internal static class JsonlFile
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

        using var reader = new StreamReader(path);
        return Read(reader, $"'{path}'", parse, skipMalformed);
    }

    /// <summary>As <see cref="Read{T}(string, Func{JsonElement, T}, bool)"/>, from a reader; <paramref name="name"/> names it in messages.</summary>
    /// <exception cref="InvalidDataException">A line is malformed (and skipping is off), or the data holds no valid record.</exception>
    public static JsonlReadResult<T> Read<T>(TextReader reader, string name, Func<JsonElement, T> parse, bool skipMalformed = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(parse);
        int skipped = 0;
        var items = JsonLines.Read(reader, parse, (lineNumber, e) =>
        {
            if (!skipMalformed)
            {
                throw new InvalidDataException(
                    $"{name} line {lineNumber} is malformed: {e.Message} Fix the line, or skip malformed lines (skipMalformed).");
            }

            skipped++;
        }).ToList();
        if (items.Count == 0)
        {
            throw new InvalidDataException(skipped == 0
                ? $"{name} is empty: it holds no JSON records."
                : $"{name} holds no valid record: all {skipped} non-blank lines are malformed.");
        }

        return new JsonlReadResult<T>(items, skipped);
    }
}

/// <summary>The records read from a JSON Lines file.</summary>
/// <typeparam name="T">The parsed record type.</typeparam>
/// <param name="Items">The parsed records, in file order.</param>
/// <param name="SkippedLines">Malformed lines skipped (only ever non-zero when skipping was asked for).</param>
internal sealed record JsonlReadResult<T>(IReadOnlyList<T> Items, int SkippedLines);
