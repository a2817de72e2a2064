using QuietStar.Core.Algorithm;
using QuietStar.Core.Common;

namespace QuietStar.Core.Evaluation;

/// <summary>How to run a text NLL evaluation.</summary>
public sealed record TextNllOptions
{
    /// <summary>Also score the predictions made after a thought at every position. Default true.</summary>
    public bool Thoughts { get; set; } = true;

    /// <summary>Tokens per window, BOS included: use the model's training length. Default 256.</summary>
    public int SequenceLength { get; set; } = 256;

    /// <summary>Windows per forward pass. Default 8.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>
    /// How thought tokens are picked: the reference's samples (default); <see cref="ThoughtSampling.Greedy"/> or the
    /// <see cref="ThoughtSampling.Uniform"/> control (random tokens) measure what the thoughts' content contributes.
    /// </summary>
    public ThoughtSampling Sampling { get; set; } = ThoughtSampling.Model;

    /// <summary>Seed of the thought sampler. Default 0.</summary>
    public long Seed { get; set; }

    /// <summary>Share of tokens, those with the highest base NLL, counted as hard. Default 0.1.</summary>
    public double HardFraction { get; set; } = 0.1;

    /// <summary>Score only the first this many text tokens (as the other evaluations' <c>Limit</c> counts questions); all when null.</summary>
    public int? Limit { get; set; }

    /// <summary>Checks every option.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        OptionCheck.Require<TextNllOptions>(SequenceLength >= 3, nameof(SequenceLength), $"must be at least 3 (got {SequenceLength}).");
        OptionCheck.Require<TextNllOptions>(BatchSize >= 1, nameof(BatchSize), $"must be at least 1 (got {BatchSize}).");
        OptionCheck.Require<TextNllOptions>(Enum.IsDefined(Sampling), nameof(Sampling), $"has an unknown value {Sampling}.");
        OptionCheck.Require<TextNllOptions>(HardFraction is > 0 and <= 1, nameof(HardFraction), $"must be within (0, 1] (got {HardFraction}).");
        OptionCheck.Require<TextNllOptions>(Limit is null or >= 1, nameof(Limit), $"must be at least 1 when set (got {Limit}).");
    }
}
