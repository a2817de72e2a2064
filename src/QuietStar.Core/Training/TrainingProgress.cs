using QuietStar.Core.Algorithm;

namespace QuietStar.Core.Training;

/// <summary>What <see cref="QuietStarTrainer"/> reports after each optimizer step.</summary>
public sealed record TrainingProgress
{
    /// <summary>Optimizer steps completed, this one included.</summary>
    public required int Step { get; init; }

    /// <summary>The step the run ends at.</summary>
    public required int TotalSteps { get; init; }

    /// <summary>
    /// Whether this step trained with thoughts; false for <see cref="TrainingOptions.NoThoughts"/> and for the first
    /// <see cref="TrainingOptions.PlainLanguageModelSteps"/> (the plain-LM warm start).
    /// </summary>
    public required bool WithThoughts { get; init; }

    /// <summary>Loss components averaged over the step's micro-batches.</summary>
    public required StepMetrics Metrics { get; init; }

    /// <summary>The learning rate of this step.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Global gradient norm before clipping.</summary>
    public required double GradientNorm { get; init; }

    /// <summary>Real (non-padding) tokens trained on in this step.</summary>
    public required long Tokens { get; init; }

    /// <summary>Real tokens per second over this run so far.</summary>
    public required double TokensPerSecond { get; init; }

    /// <summary>Time since this run started.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Estimated time to <see cref="TotalSteps"/> at this run's mean step time.</summary>
    public required TimeSpan EstimatedRemaining { get; init; }

    /// <summary>The validation result when this step validated, else null.</summary>
    public ValidationMetrics? Validation { get; init; }
}
