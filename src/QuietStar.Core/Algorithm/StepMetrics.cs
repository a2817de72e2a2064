using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json.Serialization;
using QuietStar.Core.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// The named numbers of one objective evaluation or optimizer step, for logging, progress and reports. A new metric is
/// one property here and one line where the metrics are read: <see cref="Mean"/> pools every property generically.
/// </summary>
public sealed record StepMetrics
{
    /// <summary>Creates metrics; every metric is set by the initializer.</summary>
    public StepMetrics()
    {
    }

    /// <summary>A no-thought step's metrics: every loss <paramref name="nll"/>, one talk step equal to the base, the rest 0.</summary>
    [SetsRequiredMembers]
    private StepMetrics(double nll)
    {
        Loss = BaseNll = LanguageModelingLoss = nll;
        TalkNll = [nll];
    }

    /// <summary>Total loss.</summary>
    [JsonPropertyName("loss")]
    public required double Loss { get; init; }

    /// <summary>Mean base next-token NLL over real targets (nats).</summary>
    [JsonPropertyName("base_nll")]
    public required double BaseNll { get; init; }

    /// <summary>Mean talk NLL per talk step s (nats); entry 0 is the post-thought next-token NLL.</summary>
    [JsonPropertyName("talk_nll")]
    public required IReadOnlyList<double> TalkNll { get; init => field = ReadableList.Of(value); }  // prints as [2.31, 2.29]

    /// <summary>Mean of <see cref="TalkNll"/>.</summary>
    [JsonPropertyName("mean_talk_nll")]
    public double MeanTalkNll => TalkNll.Average();

    /// <summary>Mean talk NLL for the next token minus the base NLL of the same tokens (negative = thinking helps).</summary>
    [JsonPropertyName("talk_minus_base")]
    public double TalkMinusBase => TalkNll[0] - BaseNll;

    /// <summary>Unweighted policy loss.</summary>
    [JsonPropertyName("policy_loss")]
    public required double PolicyLoss { get; init; }

    /// <summary>Policy loss times its weight, as it entered <see cref="Loss"/>.</summary>
    [JsonPropertyName("weighted_policy_loss")]
    public required double WeightedPolicyLoss { get; init; }

    /// <summary>LM part of the loss.</summary>
    [JsonPropertyName("language_modeling_loss")]
    public required double LanguageModelingLoss { get; init; }

    /// <summary>The weight the policy loss entered the total with (0 when excluded; ramped during the policy-weight warm-up).</summary>
    [JsonPropertyName("policy_weight")]
    public required double PolicyWeight { get; init; }

    /// <summary>
    /// <see cref="WeightedPolicyLoss"/> / <see cref="LanguageModelingLoss"/>: how large the REINFORCE term is next to the
    /// LM loss (0 when the LM loss is 0). At the reference's weight 1e6 on a tiny model it reaches 10³ and more.
    /// </summary>
    [JsonPropertyName("policy_to_language_modeling_ratio")]
    public double PolicyToLanguageModelingRatio => LanguageModelingLoss == 0 ? 0 : WeightedPolicyLoss / LanguageModelingLoss;

    /// <summary>
    /// Mean mixing weight w over the entries that entered a scored prediction: all rows and talk steps, positions whose
    /// target is real (padding and the tail rolled around from the start excluded).
    /// </summary>
    [JsonPropertyName("mixing_weight_mean")]
    public required double MixingWeightMean { get; init; }

    /// <summary>Smallest mixing weight.</summary>
    [Pooled(Pooling.Min)]
    [JsonPropertyName("mixing_weight_min")]
    public required double MixingWeightMin { get; init; }

    /// <summary>Largest mixing weight.</summary>
    [Pooled(Pooling.Max)]
    [JsonPropertyName("mixing_weight_max")]
    public required double MixingWeightMax { get; init; }

    /// <summary>Standard deviation of the mixing weights (over the same entries as the mean).</summary>
    [JsonPropertyName("mixing_weight_std")]
    public required double MixingWeightStd { get; init; }

    /// <summary>10th percentile of the mixing weights (linear interpolation between order statistics).</summary>
    [JsonPropertyName("mixing_weight_p10")]
    public required double MixingWeightP10 { get; init; }

    /// <summary>Median of the mixing weights.</summary>
    [JsonPropertyName("mixing_weight_p50")]
    public required double MixingWeightP50 { get; init; }

    /// <summary>90th percentile of the mixing weights.</summary>
    [JsonPropertyName("mixing_weight_p90")]
    public required double MixingWeightP90 { get; init; }

    /// <summary>Mean reward (talk log-likelihood gain over the base for the next M tokens).</summary>
    [JsonPropertyName("reward_mean")]
    public required double RewardMean { get; init; }

    /// <summary>Fraction of (row, position) pairs whose training advantage is positive.</summary>
    [JsonPropertyName("positive_advantage_fraction")]
    public required double PositiveAdvantageFraction { get; init; }

    /// <summary>Standard deviation of the baselined advantages before any normalisation (nats): how much the thoughts' rewards differ.</summary>
    [JsonPropertyName("advantage_std")]
    public required double AdvantageStd { get; init; }

    /// <summary>Mean entropy of the thought-token distributions at temperature 1 over real positions and thought tokens (nats).</summary>
    [JsonPropertyName("thought_entropy")]
    public required double ThoughtEntropy { get; init; }

    /// <summary>Mean KL of the thought-token distributions to the base pass's next-token distribution at the same position (nats).</summary>
    [JsonPropertyName("thought_kl")]
    public required double ThoughtKl { get; init; }

    /// <summary>The entropy bonus as it entered <see cref="Loss"/>: −β_H·<see cref="ThoughtEntropy"/> (0 when off).</summary>
    [JsonPropertyName("weighted_entropy_bonus")]
    public required double WeightedEntropyBonus { get; init; }

    /// <summary>The KL term as it entered <see cref="Loss"/>: β_KL·<see cref="ThoughtKl"/> (0 when off).</summary>
    [JsonPropertyName("weighted_thought_kl")]
    public required double WeightedThoughtKl { get; init; }

    /// <summary>Number of distinct thought token strings at the real positions of the batch (out of R·L at most); 1 means collapse.</summary>
    [JsonPropertyName("distinct_thoughts")]
    public required int DistinctThoughts { get; init; }

    /// <summary>
    /// Pools the metrics of the micro-batches of one optimizer step: every settable metric is averaged (an integer one
    /// rounded, a list one entry by entry) unless it is marked <see cref="PooledAttribute"/> min or max. The mixing-weight
    /// standard deviation and quantiles are therefore micro-batch averages, not those of the pooled weights.
    /// </summary>
    internal static StepMetrics Mean(IReadOnlyList<StepMetrics> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0];
        }

        var mean = parts[0] with { };
        foreach (var property in Metrics)
        {
            var pooling = property.GetCustomAttribute<PooledAttribute>()?.Pooling ?? Pooling.Mean;
            object value = property.PropertyType == typeof(int)
                ? (int)Math.Round(parts.Average(p => (int)property.GetValue(p)!))
                : property.PropertyType == typeof(IReadOnlyList<double>)
                    ? Enumerable.Range(0, parts[0].TalkNll.Count).Select(s => parts.Average(p => ((IReadOnlyList<double>)property.GetValue(p)!)[s])).ToArray()
                    : pooling switch
                    {
                        Pooling.Min => parts.Min(p => (double)property.GetValue(p)!),
                        Pooling.Max => parts.Max(p => (double)property.GetValue(p)!),
                        _ => parts.Average(p => (double)property.GetValue(p)!),
                    };
            property.SetValue(mean, value);
        }

        return mean;
    }

    /// <summary>The metrics of a no-thought step: plain LM loss, talk = base, no policy, no mixing.</summary>
    internal static StepMetrics PlainLanguageModel(double nll) => new(nll);

    /// <summary>The settable metrics (computed ones such as <see cref="TalkMinusBase"/> follow from them).</summary>
    private static readonly PropertyInfo[] Metrics =
        [.. typeof(StepMetrics).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)];

    private enum Pooling
    {
        Mean,
        Min,
        Max,
    }

    [AttributeUsage(AttributeTargets.Property)]
    private sealed class PooledAttribute(Pooling pooling) : Attribute
    {
        public Pooling Pooling { get; } = pooling;
    }

    /// <summary>Reads the components of <paramref name="result"/>.</summary>
    internal static StepMetrics From(ObjectiveResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var weights = ScoredMixingWeights(result.MixingWeights, result.IsReal);                        // [K]
        var regularization = result.Regularization;
        double policyLoss = Scalar(result.Policy.PolicyLoss);
        double[] quantiles = Quantiles(weights, 0.1, 0.5, 0.9);
        return new StepMetrics
        {
            Loss = Scalar(result.Loss),
            BaseNll = Scalar(result.LanguageModeling.BaseLoss),
            TalkNll = result.LanguageModeling.TalkLosses.Select(Scalar).ToArray(),
            PolicyLoss = policyLoss,
            WeightedPolicyLoss = policyLoss * result.PolicyWeight,
            LanguageModelingLoss = Scalar(result.LanguageModeling.Loss),
            PolicyWeight = result.PolicyWeight,
            MixingWeightMean = weights.mean().item<double>(),
            MixingWeightMin = weights.min().item<double>(),
            MixingWeightMax = weights.max().item<double>(),
            MixingWeightStd = weights.std(unbiased: false).item<double>(),
            MixingWeightP10 = quantiles[0],
            MixingWeightP50 = quantiles[1],
            MixingWeightP90 = quantiles[2],
            RewardMean = Scalar(result.Policy.Reward.mean()),
            PositiveAdvantageFraction = Scalar(result.Policy.TrainingAdvantage.gt(0).to_type(ScalarType.Float64).mean()),
            AdvantageStd = Scalar(result.Policy.AdvantageStd),
            ThoughtEntropy = Scalar(regularization.Entropy),
            ThoughtKl = Scalar(regularization.KlToBase),
            WeightedEntropyBonus = -regularization.EntropyWeight * Scalar(regularization.Entropy),
            WeightedThoughtKl = regularization.KlWeight * Scalar(regularization.KlToBase),
            DistinctThoughts = CountDistinct(result.Rollout.ThoughtIds, result.IsReal),
        };
    }

    /// <summary>
    /// The mixing weights that entered a scored prediction, as float64 <c>[K]</c>: talk step s at position t predicts
    /// x_{t+s+1}, so it counts when t ≤ L−2−s (not the tail rolled around from the start) and x_{t+s+1} is real.
    /// </summary>
    internal static Tensor ScoredMixingWeights(IReadOnlyList<Tensor> mixingWeights, Tensor isReal)
    {
        var selected = new List<Tensor>(mixingWeights.Count);
        for (int s = 0; s < mixingWeights.Count; s++)
        {
            long n = mixingWeights[s].shape[1] - 1 - s;
            if (n <= 0)
            {
                continue;
            }

            var w = mixingWeights[s].squeeze(-1).narrow(1, 0, n).to_type(ScalarType.Float64);   // [R, n]
            selected.Add(w.masked_select(isReal.narrow(1, 1 + s, n).to_type(ScalarType.Bool))); // [K_s]
        }

        var all = torch.cat(selected.ToArray(), dim: 0);                                           // [K]
        return all.numel() > 0 ? all : torch.zeros(1, dtype: ScalarType.Float64, device: all.device);
    }

    /// <summary>Counts distinct thoughts (rows of the last dimension) in ids <c>[R, L, T]</c>, at the positions where <paramref name="isReal"/> <c>[R, L]</c> is true (all when null).</summary>
    internal static int CountDistinct(Tensor thoughtIds, Tensor? isReal = null)
    {
        ArgumentNullException.ThrowIfNull(thoughtIds);
        int t = (int)thoughtIds.shape[^1];
        long[] flat = thoughtIds.cpu().contiguous().data<long>().ToArray();
        bool[]? real = isReal?.to_type(ScalarType.Bool).cpu().contiguous().data<bool>().ToArray();
        if (real is not null && real.Length * t != flat.Length)
        {
            throw new ArgumentException($"The mask has {real.Length} positions but the ids hold {flat.Length / t} thoughts.", nameof(isReal));
        }

        var seen = new HashSet<string>();
        for (int i = 0; i + t <= flat.Length; i += t)
        {
            if (real is null || real[i / t])
            {
                seen.Add(string.Join(',', flat.AsSpan(i, t).ToArray()));
            }
        }

        return seen.Count;
    }

    private static double Scalar(Tensor t) => t.to_type(ScalarType.Float64).item<double>();

    /// <summary>Quantiles of all entries by linear interpolation between order statistics (as numpy's default).</summary>
    internal static double[] Quantiles(Tensor values, params double[] probabilities)
    {
        double[] sorted = values.flatten().to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        Array.Sort(sorted);
        return [.. probabilities.Select(q => Quantile.OfSorted(sorted, q))];
    }
}
