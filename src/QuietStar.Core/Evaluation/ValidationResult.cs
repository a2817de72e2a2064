namespace QuietStar.Core.Evaluation;

/// <summary>
/// Next-token NLLs (nats) on held-out text, with and without thoughts, as the paper's §5.2 compares them: overall and
/// on the hardest tokens by base NLL, where the paper finds the gain of thinking concentrated.
/// </summary>
public sealed record ValidationResult
{
    /// <summary>Mean base NLL over all scored tokens.</summary>
    public required double BaseNll { get; init; }

    /// <summary>Mean talk NLL (mixed prediction after a thought) over the same tokens.</summary>
    public required double TalkNll { get; init; }

    /// <summary>Mean base NLL over the hardest tokens (by base NLL).</summary>
    public required double HardBaseNll { get; init; }

    /// <summary>Mean talk NLL over the same hardest tokens.</summary>
    public required double HardTalkNll { get; init; }

    /// <summary>Mean mixing weight w over the scored tokens (0 without thoughts).</summary>
    public required double MeanMixingWeight { get; init; }

    /// <summary>Tokens scored.</summary>
    public required long Tokens { get; init; }

    /// <summary>Tokens in the hard subset.</summary>
    public required long HardTokens { get; init; }

    /// <summary><see cref="TalkNll"/> − <see cref="BaseNll"/>; negative when thinking helps.</summary>
    public double TalkMinusBase => TalkNll - BaseNll;

    /// <summary><see cref="HardTalkNll"/> − <see cref="HardBaseNll"/>.</summary>
    public double HardTalkMinusBase => HardTalkNll - HardBaseNll;
}
