namespace QuietStar.Core.Evaluation;

/// <summary>How <see cref="ValidationEvaluator"/> scores held-out text.</summary>
public sealed record ValidationOptions
{
    /// <summary>Tokens per sequence; each validation document is cut to its first L tokens or padded. Default 256.</summary>
    public int SequenceLength { get; init; } = 256;

    /// <summary>Sequences per batch. Default 4.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Batches scored at most (the first BatchSize × Batches documents). Default 4.</summary>
    public int Batches { get; init; } = 4;

    /// <summary>Seed of the thought samples. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Whether to think: false scores the base model only (talk = base, mixing weight 0). Default true.</summary>
    public bool WithThoughts { get; init; } = true;

    /// <summary>Fraction of tokens, hardest by base NLL, that the "hard" averages cover. Default 0.1.</summary>
    public double HardTokenFraction { get; init; } = 0.1;

    /// <summary>Checks every option; the exception names the option.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        Require(SequenceLength >= 2, nameof(SequenceLength), $"must be at least 2 tokens (got {SequenceLength}).");
        Require(BatchSize >= 1, nameof(BatchSize), $"must be at least 1 (got {BatchSize}).");
        Require(Batches >= 1, nameof(Batches), $"must be at least 1 (got {Batches}).");
        Require(HardTokenFraction is > 0 and <= 1, nameof(HardTokenFraction), $"must be in (0, 1] (got {HardTokenFraction}).");
    }

    private static void Require(bool ok, string option, string problem)
    {
        if (!ok)
        {
            throw new ArgumentException($"ValidationOptions.{option} {problem}", option);
        }
    }
}
