using QuietStar.Core.Data;
using QuietStar.Core.Training;

namespace QuietStar.Core.Checkpoints;

/// <summary>
/// Everything besides the weights and the optimizer moments that a resumed run needs to continue exactly where a
/// training run stopped. Saved in a checkpoint's <c>quietstar.json</c>.
/// </summary>
public sealed record TrainingState
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
