using System.Text.Json;

namespace QuietStar.Core.Data;

/// <summary>The one JSON Lines reader of the library: training corpora and evaluation data sets both read through it.</summary>
internal static class JsonLines
{
    /// <summary>
    /// Parses each non-blank line of <paramref name="reader"/> as one JSON value with <paramref name="parse"/>. A line
    /// that is not JSON, or that <paramref name="parse"/> refuses with a <see cref="FormatException"/>, goes to
    /// <paramref name="malformed"/> with its 1-based line number: it throws to stop, or returns to skip the line.
    /// </summary>
    public static IEnumerable<T> Read<T>(TextReader reader, Func<JsonElement, T> parse, Action<int, Exception> malformed)
    {
        int lineNumber = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (TryParse(line, parse, out T item, out var problem))
            {
                yield return item;
            }
            else
            {
                malformed(lineNumber, problem!);
            }
        }
    }

    private static bool TryParse<T>(string line, Func<JsonElement, T> parse, out T item, out Exception? problem)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            item = parse(document.RootElement);
            problem = null;
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            item = default!;
            problem = e;
            return false;
        }
    }
}
