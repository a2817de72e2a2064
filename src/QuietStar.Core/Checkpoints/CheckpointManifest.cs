using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuietStar.Core.Algorithm;

namespace QuietStar.Core.Checkpoints;

/// <summary>The content of <c>quietstar.json</c>: what a checkpoint adds to a plain Hugging Face model folder.</summary>
internal sealed record CheckpointManifest
{
    public const int CurrentFormatVersion = 1;

    public static JsonSerializerOptions Json { get; } = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file, not HTML: keep <|startthought|> readable
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        IgnoreReadOnlyProperties = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Version of this layout; readers refuse newer versions.</summary>
    public required int FormatVersion { get; init; }

    /// <summary>The algorithm's options.</summary>
    public required QuietStarOptions QuietStar { get; init; }

    /// <summary>Id of the START thought token.</summary>
    public required int StartThoughtId { get; init; }

    /// <summary>Id of the END thought token.</summary>
    public required int EndThoughtId { get; init; }

    /// <summary>Type name of the mixing head whose weights are in <c>quietstar.safetensors</c>.</summary>
    public required string MixingHead { get; init; }

    /// <summary>Where training stood; null for a checkpoint saved for inference only.</summary>
    public TrainingState? Training { get; init; }

    /// <summary>The optimizer state file (TorchSharp format), present with <see cref="Training"/>.</summary>
    public string? OptimizerFile { get; init; }
}
