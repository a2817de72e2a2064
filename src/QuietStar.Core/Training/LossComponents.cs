using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Training;

/// <summary>The named numbers of one objective evaluation, for logging, progress and reports.</summary>
public sealed record LossComponents
{
    /// <summary>Total loss.</summary>
    public required double Loss { get; init; }

    /// <summary>Mean base next-token NLL over real targets (nats).</summary>
    public required double BaseNll { get; init; }

    /// <summary>Mean talk NLL per talk step s (nats); entry 0 is the post-thought next-token NLL.</summary>
    public required IReadOnlyList<double> TalkNll { get; init; }

    /// <summary>Mean of <see cref="TalkNll"/>.</summary>
    public double MeanTalkNll => TalkNll.Average();

    /// <summary>Mean talk NLL for the next token minus the base NLL of the same tokens (negative = thinking helps).</summary>
    public double TalkMinusBase => TalkNll[0] - BaseNll;

    /// <summary>Unweighted policy loss.</summary>
    public required double PolicyLoss { get; init; }

    /// <summary>Policy loss times its weight, as it entered <see cref="Loss"/>.</summary>
    public required double WeightedPolicyLoss { get; init; }

    /// <summary>LM part of the loss.</summary>
    public required double LanguageModelingLoss { get; init; }

    /// <summary>Mean mixing weight w over all talk steps, rows and positions.</summary>
    public required double MixingWeightMean { get; init; }

    /// <summary>Smallest mixing weight.</summary>
    public required double MixingWeightMin { get; init; }

    /// <summary>Largest mixing weight.</summary>
    public required double MixingWeightMax { get; init; }

    /// <summary>Mean reward (talk log-likelihood gain over the base for the next M tokens).</summary>
    public required double RewardMean { get; init; }

    /// <summary>Fraction of (row, position) pairs whose training advantage is positive.</summary>
    public required double PositiveAdvantageFraction { get; init; }

    /// <summary>Mean entropy of the thought-token distributions (nats).</summary>
    public required double ThoughtEntropy { get; init; }

    /// <summary>Number of distinct thought token strings in the batch (out of R·L).</summary>
    public required int DistinctThoughts { get; init; }

    /// <summary>Reads the components of <paramref name="result"/>.</summary>
    public static LossComponents From(ObjectiveResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var weights = torch.cat(result.MixingWeights.ToArray(), dim: -1).to_type(ScalarType.Float32); // [R, L, M]
        return new LossComponents
        {
            Loss = result.Loss.item<float>(),
            BaseNll = result.LanguageModeling.BaseLoss.item<float>(),
            TalkNll = result.LanguageModeling.TalkLosses.Select(t => (double)t.item<float>()).ToArray(),
            PolicyLoss = result.Policy.PolicyLoss.item<float>(),
            WeightedPolicyLoss = result.Policy.PolicyLoss.item<float>() * result.PolicyWeight,
            LanguageModelingLoss = result.LanguageModeling.Loss.item<float>(),
            MixingWeightMean = weights.mean().item<float>(),
            MixingWeightMin = weights.min().item<float>(),
            MixingWeightMax = weights.max().item<float>(),
            RewardMean = result.Policy.Reward.mean().item<float>(),
            PositiveAdvantageFraction = result.Policy.TrainingAdvantage.gt(0).to_type(ScalarType.Float32).mean().item<float>(),
            ThoughtEntropy = result.Rollout.ThoughtEntropy,
            DistinctThoughts = CountDistinct(result.Rollout.ThoughtIds),
        };
    }

    /// <summary>Counts distinct thoughts (rows of the last dimension) in ids <c>[R, L, T]</c>.</summary>
    public static int CountDistinct(Tensor thoughtIds)
    {
        ArgumentNullException.ThrowIfNull(thoughtIds);
        int t = (int)thoughtIds.shape[^1];
        long[] flat = thoughtIds.cpu().contiguous().data<long>().ToArray();
        var seen = new HashSet<string>();
        for (int i = 0; i + t <= flat.Length; i += t)
        {
            seen.Add(string.Join(',', flat.AsSpan(i, t).ToArray()));
        }

        return seen.Count;
    }
}
