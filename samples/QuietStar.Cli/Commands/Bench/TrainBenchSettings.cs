using System.ComponentModel;
using QuietStar.Core.Algorithm;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Bench;

/// <summary>Options of <c>quietstar bench train</c>; defaults are the reference's training configuration.</summary>
internal sealed class TrainBenchSettings : ModelSettings
{
    /// <summary>Tokens per sequence.</summary>
    [CommandOption("--seq-len <L>")]
    [DefaultValue(256)]
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
    [DefaultValue(9)]
    public int ThoughtTokens { get; init; }

    /// <summary>Teacher-forced talk tokens.</summary>
    [CommandOption("--talk-tokens <M>")]
    [DefaultValue(4)]
    public int TalkTokens { get; init; }

    /// <summary>Timed steps per variant.</summary>
    [CommandOption("--steps <N>")]
    [DefaultValue(5)]
    public int Steps { get; init; }

    /// <summary>Untimed steps per variant first.</summary>
    [CommandOption("--warmup <N>")]
    [DefaultValue(1)]
    public int Warmup { get; init; }

    /// <summary>Attention strategy: diagonal, masked, or both (interleaved step by step in one process).</summary>
    [CommandOption("--attention <MODE>")]
    [Description("diagonal, masked, or both (interleaved step by step, so machine noise hits both alike).")]
    [DefaultValue("diagonal")]
    public string Attention { get; init; } = "diagonal";

    /// <summary>Policy-gradient weights to run, comma-separated (each one a variant, interleaved).</summary>
    [CommandOption("--policy-weight <W>")]
    [Description("Weight of the REINFORCE term; several comma-separated weights run as interleaved variants (e.g. 1e6,0: what leaving the term out at weight 0 saves). Default 1e6, the reference's.")]
    [DefaultValue("1e6")]
    public string PolicyWeight { get; init; } = "1e6";

    /// <summary>The policy weights to run, in interleaving order (valid after validation).</summary>
    public IReadOnlyList<double> PolicyWeights => ParseWeights(PolicyWeight) ?? throw new InvalidOperationException("unreachable: validated");

    /// <summary>Text to crop sequences from; the embedded GSM8K train text when null.</summary>
    [CommandOption("--data <FILE>")]
    public string? Data { get; init; }

    /// <summary>Time the parts of each step (forward calls by kind, MLP and norms, backward, optimizer).</summary>
    [CommandOption("--breakdown")]
    [Description("Also time the parts of each step: the base pass, the thought and talk forward calls (and the MLP and RMSNorm inside them), the rest of the objective (LM head, sampling, mixing, losses), backward, clipping and AdamW. Adds a 'breakdown' object (median seconds per step) to each variant.")]
    public bool Breakdown { get; init; }

    /// <summary>Seed for crops and thought sampling.</summary>
    [CommandOption("--seed <S>")]
    [DefaultValue(0L)]
    public long Seed { get; init; }

    /// <summary>The strategies to run, in interleaving order.</summary>
    public IReadOnlyList<ThoughtAttention> Strategies => Attention.ToLowerInvariant() switch
    {
        "diagonal" => [ThoughtAttention.Diagonal],
        "masked" => [ThoughtAttention.Masked],
        "both" => [ThoughtAttention.Diagonal, ThoughtAttention.Masked],
        _ => throw new InvalidOperationException("unreachable: validated"),
    };

    /// <inheritdoc />
    protected override long TokensPerForwardCall => (long)Batch * Passes * SequenceLength;

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (Attention.ToLowerInvariant() is not ("diagonal" or "masked" or "both"))
        {
            return ValidationResult.Error($"--attention must be diagonal, masked or both (got '{Attention}').");
        }

        if (ParseWeights(PolicyWeight) is null)
        {
            return ValidationResult.Error($"--policy-weight must be one or more comma-separated numbers ≥ 0, each once (got '{PolicyWeight}').");
        }

        if (SequenceLength < 2 || Batch < 1 || Steps < 1 || Warmup < 0)
        {
            return ValidationResult.Error("--seq-len must be ≥ 2, --batch and --steps ≥ 1, --warmup ≥ 0.");
        }

        return Data is not null && !File.Exists(Data)
            ? ValidationResult.Error($"--data file '{Data}' does not exist.")
            : base.Validate();
    }

    /// <summary>The algorithm options these settings describe (reference values otherwise).</summary>
    public QuietStarOptions ToOptions(ThoughtAttention attention, double policyWeight) => QuietStarOptions.Reference with
    {
        ThoughtTokens = ThoughtTokens,
        TalkTokens = TalkTokens,
        Passes = Passes,
        Attention = attention,
        PolicyLossWeight = policyWeight,
    };

    private static double[]? ParseWeights(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var weights = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out weights[i])
                || weights[i] < 0 || !double.IsFinite(weights[i]))
            {
                return null;
            }
        }

        return weights.Distinct().Count() == weights.Length ? weights : null;
    }
}
