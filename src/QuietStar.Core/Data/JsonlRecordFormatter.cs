using System.Text;
using System.Text.Json;

namespace QuietStar.Core.Data;

/// <summary>Turns one JSON Lines record into document text: a single field, or a template over several fields.</summary>
internal sealed class JsonlRecordFormatter
{
    // Literal text (Path null) or a field to substitute (Path = its dotted path split on '.').
    private readonly List<(string? Literal, string[]? Path)> parts;

    private JsonlRecordFormatter(List<(string? Literal, string[]? Path)> parts) => this.parts = parts;

    public static JsonlRecordFormatter Create(TextCorpusOptions options) =>
        options.JsonlTemplate is { } template
            ? new JsonlRecordFormatter(ParseTemplate(template))
            : new JsonlRecordFormatter([(null, SplitPath(options.JsonlField, nameof(TextCorpusOptions.JsonlField)))]);

    /// <summary>Formats <paramref name="record"/>; the exception message says which field is missing or unusable.</summary>
    /// <exception cref="FormatException">The record lacks a field or the field is an object, array or null.</exception>
    public string Format(JsonElement record)
    {
        var text = new StringBuilder();
        foreach (var (literal, path) in parts)
        {
            text.Append(path is null ? literal : FieldText(record, path));
        }

        return text.ToString();
    }

    private static string FieldText(JsonElement record, string[] path)
    {
        var value = record;
        foreach (string key in path)
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(key, out value))
            {
                throw new FormatException($"the record has no field '{string.Join('.', path)}'");
            }
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => throw new FormatException($"field '{string.Join('.', path)}' is {value.ValueKind}, not text"),
        };
    }

    private static List<(string? Literal, string[]? Path)> ParseTemplate(string template)
    {
        var parts = new List<(string? Literal, string[]? Path)>();
        var literal = new StringBuilder();
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                literal.Append(c);
                i++;
            }
            else if (c == '{')
            {
                int close = template.IndexOf('}', i + 1);
                if (close < 0)
                {
                    throw TemplateError(template, $"the '{{' at index {i} is never closed");
                }

                parts.Add((literal.ToString(), null));
                literal.Clear();
                parts.Add((null, SplitPath(template[(i + 1)..close], nameof(TextCorpusOptions.JsonlTemplate))));
                i = close;
            }
            else if (c == '}')
            {
                throw TemplateError(template, $"the '}}' at index {i} has no opening '{{' (write '}}}}' for a literal brace)");
            }
            else
            {
                literal.Append(c);
            }
        }

        parts.Add((literal.ToString(), null));
        if (parts.All(part => part.Path is null))
        {
            throw TemplateError(template, "it names no field; write fields as {name}");
        }

        return parts;
    }

    private static string[] SplitPath(string path, string option)
    {
        string[] keys = path.Split('.');
        if (keys.Any(key => key.Length == 0 || key.Contains('{')))
        {
            throw new ArgumentException($"TextCorpusOptions.{option}: '{path}' is not a field name or dotted path.", option);
        }

        return keys;
    }

    private static ArgumentException TemplateError(string template, string problem) =>
        new($"TextCorpusOptions.JsonlTemplate \"{template}\" is malformed: {problem}.", nameof(TextCorpusOptions.JsonlTemplate));
}
