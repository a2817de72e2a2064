using QuietStar.Core.Algorithm;
using QuietStar.Core.Common;

namespace QuietStar.Core.Evaluation;

/// <summary>How to run an answer-probability evaluation. Defaults are the reference's (256 tokens, thoughts on).</summary>
public sealed record AnswerProbabilityOptions
{
    /// <summary>Score the predictions made after a thought at every position (the Quiet-STaR metric); false scores the base model. Default true.</summary>
    public bool Thoughts { get; set; } = true;

    /// <summary>Tokens per question: longer ones keep their last tokens (the answer), shorter ones are padded. Default 256.</summary>
    public int SequenceLength { get; set; } = 256;

    /// <summary>Questions per forward pass. Default 8.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>Evaluate only the first this many questions; all when null.</summary>
    public int? Limit { get; set; }

    /// <summary>
    /// How thought tokens are picked: the reference's samples (default); <see cref="ThoughtSampling.Greedy"/> or the
    /// <see cref="ThoughtSampling.Uniform"/> control (random tokens) measure what the thoughts' content contributes.
    /// </summary>
    public ThoughtSampling Sampling { get; set; } = ThoughtSampling.Model;

    /// <summary>Seed of the thought sampler. Default 0.</summary>
    public long Seed { get; set; }

    /// <summary>Skip and count malformed data-set lines instead of failing. Default false.</summary>
    public bool SkipMalformed { get; set; }

    /// <summary>Checks every option.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        OptionCheck.Require<AnswerProbabilityOptions>(SequenceLength >= 3, nameof(SequenceLength), $"must be at least 3 (got {SequenceLength}).");
        OptionCheck.Require<AnswerProbabilityOptions>(BatchSize >= 1, nameof(BatchSize), $"must be at least 1 (got {BatchSize}).");
        OptionCheck.Require<AnswerProbabilityOptions>(Limit is null or >= 1, nameof(Limit), $"must be at least 1 when set (got {Limit}).");
        OptionCheck.Require<AnswerProbabilityOptions>(Enum.IsDefined(Sampling), nameof(Sampling), $"has an unknown value {Sampling}.");
    }
}
