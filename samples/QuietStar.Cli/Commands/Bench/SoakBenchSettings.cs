using System.ComponentModel;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Bench;

/// <summary>Options of <c>quietstar bench soak</c>; the shape defaults are those of <c>train</c>'s small preset.</summary>
internal sealed class SoakBenchSettings : ModelSettings
{
    /// <summary>Training steps.</summary>
    [CommandOption("--steps <N>")]
    [DefaultValue(1000)]
    public int Steps { get; init; }

    /// <summary>Sampling interval.</summary>
    [CommandOption("--sample-every <N>")]
    [Description("Measure live tensors, RSS and threads every N steps (and after steps 1 and the last).")]
    [DefaultValue(50)]
    public int SampleEvery { get; init; }

    /// <summary>Tokens per sequence.</summary>
    [CommandOption("--seq-len <L>")]
    [DefaultValue(128)]
    public int SequenceLength { get; init; }

    /// <summary>Sequences per step.</summary>
    [CommandOption("--batch <B>")]
    [DefaultValue(4)]
    public int Batch { get; init; }

    /// <summary>Thoughts per position.</summary>
    [CommandOption("--passes <P>")]
    [DefaultValue(2)]
    public int Passes { get; init; }

    /// <summary>Sampled thought tokens.</summary>
    [CommandOption("--thought-tokens <T>")]
    [DefaultValue(6)]
    public int ThoughtTokens { get; init; }

    /// <summary>Teacher-forced talk tokens.</summary>
    [CommandOption("--talk-tokens <M>")]
    [DefaultValue(4)]
    public int TalkTokens { get; init; }

    /// <summary>Text to train on; the embedded GSM8K train text when null.</summary>
    [CommandOption("--data <FILE>")]
    public string? Data { get; init; }

    /// <summary>Seed of data order and thoughts.</summary>
    [CommandOption("--seed <S>")]
    [DefaultValue(42L)]
    public long Seed { get; init; }

    /// <inheritdoc />
    protected override long TokensPerForwardCall => (long)Batch * Passes * SequenceLength;

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (Steps < 1 || SampleEvery < 1 || SequenceLength < 2 || Batch < 1 || Passes < 2 || ThoughtTokens < 1 || TalkTokens < 1)
        {
            return ValidationResult.Error("--steps, --sample-every, --batch, --thought-tokens and --talk-tokens must be ≥ 1, --passes ≥ 2, --seq-len ≥ 2.");
        }

        return Data is not null && !File.Exists(Data) ? ValidationResult.Error($"--data file '{Data}' does not exist.") : base.Validate();
    }

    /// <summary>
    /// The algorithm options: the earlier small-preset recipe (raw advantages, policy weight 100), with which the soak
    /// figures in docs/cli.md were measured; reference values otherwise.
    /// </summary>
    public QuietStarOptions ToQuietStarOptions() => QuietStarOptions.Reference with
    {
        ThoughtTokens = ThoughtTokens,
        TalkTokens = TalkTokens,
        Passes = Passes,
        PolicyLossWeight = 100,
    };

    /// <summary>The training options: no validation, no checkpoints, one micro-batch per step.</summary>
    public TrainingOptions ToTrainingOptions() => new()
    {
        Steps = Steps,
        SequenceLength = SequenceLength,
        BatchSize = Batch,
        GradientAccumulation = 1,
        LearningRate = 3e-4,
        Seed = Seed,
        EvalEvery = 0,
    };
}
