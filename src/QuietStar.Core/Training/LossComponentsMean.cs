namespace QuietStar.Core.Training;

/// <summary>Averages the loss components of the micro-batches of one optimizer step.</summary>
internal static class LossComponentsMean
{
    public static LossComponents Of(IReadOnlyList<LossComponents> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0];
        }

        int talk = parts[0].TalkNll.Count;
        return new LossComponents
        {
            Loss = parts.Average(p => p.Loss),
            BaseNll = parts.Average(p => p.BaseNll),
            TalkNll = [.. Enumerable.Range(0, talk).Select(s => parts.Average(p => p.TalkNll[s]))],
            PolicyLoss = parts.Average(p => p.PolicyLoss),
            WeightedPolicyLoss = parts.Average(p => p.WeightedPolicyLoss),
            LanguageModelingLoss = parts.Average(p => p.LanguageModelingLoss),
            MixingWeightMean = parts.Average(p => p.MixingWeightMean),
            MixingWeightMin = parts.Min(p => p.MixingWeightMin),
            MixingWeightMax = parts.Max(p => p.MixingWeightMax),
            RewardMean = parts.Average(p => p.RewardMean),
            PositiveAdvantageFraction = parts.Average(p => p.PositiveAdvantageFraction),
            ThoughtEntropy = parts.Average(p => p.ThoughtEntropy),
            DistinctThoughts = (int)Math.Round(parts.Average(p => p.DistinctThoughts)),
        };
    }

    /// <summary>The components of a no-thought step: plain LM loss, talk = base, no policy, no mixing.</summary>
    public static LossComponents PlainLanguageModel(double nll) => new()
    {
        Loss = nll,
        BaseNll = nll,
        TalkNll = [nll],
        PolicyLoss = 0,
        WeightedPolicyLoss = 0,
        LanguageModelingLoss = nll,
        MixingWeightMean = 0,
        MixingWeightMin = 0,
        MixingWeightMax = 0,
        RewardMean = 0,
        PositiveAdvantageFraction = 0,
        ThoughtEntropy = 0,
        DistinctThoughts = 0,
    };
}
