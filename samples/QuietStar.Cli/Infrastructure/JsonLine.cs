using System.Text.Json;

namespace QuietStar.Cli.Infrastructure;

/// <summary>One-line JSON results with snake_case names, the format every verb prints on stdout.</summary>
internal static class JsonLine
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Serialises <paramref name="value"/> on a single line.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
