using System.Text.Json;

namespace QuietStar.Core.Checkpoints;

/// <summary>
/// Typed access to the top-level keys of a Hugging Face <c>config.json</c>; every error names the file and the key.
/// A key that is present with the value <c>null</c> reads as absent.
/// </summary>
internal sealed class ConfigJsonReader(JsonElement root, string source)
{
    public bool Has(string key) => root.TryGetProperty(key, out _);

    public string RequiredString(string key) =>
        Optional(key, JsonValueKind.String, v => v.GetString()!) ?? throw Missing(key);

    public string? OptionalString(string key) => Optional(key, JsonValueKind.String, v => v.GetString());

    public int RequiredInt(string key) => OptionalInt(key) ?? throw Missing(key);

    public int? OptionalInt(string key) => Optional(key, JsonValueKind.Number, v => (int?)GetInt(key, v));

    public double? OptionalDouble(string key) => Optional(key, JsonValueKind.Number, v => (double?)v.GetDouble());

    public bool? OptionalBool(string key) =>
        Optional(key, JsonValueKind.True, v => (bool?)v.GetBoolean(), JsonValueKind.False);

    /// <summary>A token id stored as a number or, as for several chat models' <c>eos_token_id</c>, a list whose first entry counts.</summary>
    public int? OptionalTokenId(string key)
    {
        if (!TryGetValue(key, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Array)
        {
            return value.GetArrayLength() == 0 ? null : GetInt(key, value[0]);
        }

        return GetInt(key, value);
    }

    /// <summary>A nested object, such as <c>rope_scaling</c>, or null when absent.</summary>
    public ConfigJsonReader? OptionalObject(string key) =>
        Optional(key, JsonValueKind.Object, v => new ConfigJsonReader(v, $"{source}: {key}"));

    private T? Optional<T>(string key, JsonValueKind kind, Func<JsonElement, T> read, JsonValueKind alsoAccepted = JsonValueKind.Undefined)
    {
        if (!TryGetValue(key, out var value))
        {
            return default;
        }

        if (value.ValueKind != kind && value.ValueKind != alsoAccepted)
        {
            throw new InvalidDataException($"'{source}': key '{key}' should be {Describe(kind)}, found {value.GetRawText()}.");
        }

        return read(value);
    }

    private bool TryGetValue(string key, out JsonElement value) =>
        root.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;

    private int GetInt(string key, JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result)
            ? result
            : throw new InvalidDataException($"'{source}': key '{key}' should be a 32-bit integer, found {value.GetRawText()}.");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.Object => "an object",
        _ => "true or false",
    };

    private InvalidDataException Missing(string key) => new($"'{source}' has no required key '{key}'.");
}
