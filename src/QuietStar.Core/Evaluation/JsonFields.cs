using System.Text.Json;

namespace QuietStar.Core.Evaluation;

/// <summary>Reads required fields of a JSON record, throwing <see cref="FormatException"/> with the field's name.</summary>
internal static class JsonFields
{
    public static JsonElement RequireObject(JsonElement parent, string name)
    {
        var value = RequireField(parent, name);
        return value.ValueKind == JsonValueKind.Object
            ? value
            : throw new FormatException($"Field \"{name}\" is {value.ValueKind}, not an object.");
    }

    public static string RequireString(JsonElement parent, string name)
    {
        var value = RequireField(parent, name);
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"Field \"{name}\" is {value.ValueKind}, not a string.");
    }

    public static JsonElement.ArrayEnumerator RequireArray(JsonElement parent, string name)
    {
        var value = RequireField(parent, name);
        return value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : throw new FormatException($"Field \"{name}\" is {value.ValueKind}, not an array.");
    }

    private static JsonElement RequireField(JsonElement parent, string name)
    {
        if (parent.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"Expected a JSON object holding \"{name}\", found {parent.ValueKind}.");
        }

        return parent.TryGetProperty(name, out var value)
            ? value
            : throw new FormatException($"Field \"{name}\" is missing.");
    }
}
