using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;

namespace QuietStar.Core.Training;

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

/// <summary>
/// Everything besides the weights and the optimizer moments that a resumed run needs to continue exactly where a
/// training run stopped. Saved in a checkpoint's <c>quietstar.json</c>.
/// </summary>
internal sealed record TrainingState
{
    /// <summary>Optimizer steps completed (the learning-rate schedule continues from here).</summary>
    public required int Step { get; init; }

    /// <summary>The options the run was started with.</summary>
    public required TrainingOptions Options { get; init; }

    /// <summary>The training data sampler's position; null when no step had been taken.</summary>
    public SamplerState? Sampler { get; init; }

    /// <summary>The state of the torch generator that samples thoughts (<c>Generator.get_state()</c> bytes).</summary>
    public required byte[] GeneratorState { get; init; }
}
