using QuietStar.Core.Algorithm;

namespace QuietStar.Core.Training;

/// <summary>The outcome of <see cref="QuietStarTrainer.Train"/>.</summary>
public sealed record TrainingReport
{
    /// <summary>Optimizer steps completed before this run (0, or the resumed checkpoint's step).</summary>
    public required int StartStep { get; init; }

    /// <summary>Optimizer steps completed in total at the end of this run.</summary>
    public required int Steps { get; init; }

    /// <summary>Wall-clock seconds of this run.</summary>
    public required double Seconds { get; init; }

    /// <summary>Real tokens trained on in this run.</summary>
    public required long Tokens { get; init; }

    /// <summary>Whether the run trained without thoughts (<see cref="TrainingOptions.NoThoughts"/>).</summary>
    public required bool NoThoughts { get; init; }

    /// <summary>Loss components of the last step; null when this run took no step.</summary>
    public StepMetrics? FinalMetrics { get; init; }

    /// <summary>The last validation result; null when none ran.</summary>
    public ValidationMetrics? FinalValidation { get; init; }

    /// <summary>The checkpoint written last; null when none was written.</summary>
    public string? CheckpointPath { get; init; }
}
