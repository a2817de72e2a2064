namespace QuietStar.Core.Training;

/// <summary>
/// Averages the loss components of the micro-batches of one optimizer step (min and max are taken over them; the
/// mixing-weight standard deviation and quantiles are micro-batch averages, not those of the pooled weights).
/// </summary>
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
            PolicyWeight = parts.Average(p => p.PolicyWeight),
            MixingWeightMean = parts.Average(p => p.MixingWeightMean),
            MixingWeightMin = parts.Min(p => p.MixingWeightMin),
            MixingWeightMax = parts.Max(p => p.MixingWeightMax),
            MixingWeightStd = parts.Average(p => p.MixingWeightStd),
            MixingWeightP10 = parts.Average(p => p.MixingWeightP10),
            MixingWeightP50 = parts.Average(p => p.MixingWeightP50),
            MixingWeightP90 = parts.Average(p => p.MixingWeightP90),
            RewardMean = parts.Average(p => p.RewardMean),
            PositiveAdvantageFraction = parts.Average(p => p.PositiveAdvantageFraction),
            AdvantageStd = parts.Average(p => p.AdvantageStd),
            ThoughtEntropy = parts.Average(p => p.ThoughtEntropy),
            ThoughtKl = parts.Average(p => p.ThoughtKl),
            WeightedEntropyBonus = parts.Average(p => p.WeightedEntropyBonus),
            WeightedThoughtKl = parts.Average(p => p.WeightedThoughtKl),
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
        PolicyWeight = 0,
        MixingWeightMean = 0,
        MixingWeightMin = 0,
        MixingWeightMax = 0,
        MixingWeightStd = 0,
        MixingWeightP10 = 0,
        MixingWeightP50 = 0,
        MixingWeightP90 = 0,
        RewardMean = 0,
        PositiveAdvantageFraction = 0,
        AdvantageStd = 0,
        ThoughtEntropy = 0,
        ThoughtKl = 0,
        WeightedEntropyBonus = 0,
        WeightedThoughtKl = 0,
        DistinctThoughts = 0,
    };
}
