using System.Diagnostics.Metrics;
using QuietStar.Core.Algorithm;

namespace QuietStar.Core.Training;

/// <summary>
/// Training instruments on the <c>QuietStar.Core</c> meter (<see cref="System.Diagnostics.Metrics"/>): listen with
/// <c>dotnet-counters</c>, OpenTelemetry or a <see cref="MeterListener"/>.
/// </summary>
internal static class TrainingMetrics
{
    public const string MeterName = "QuietStar.Core";

    private static readonly Meter Meter = new(MeterName, typeof(TrainingMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> Steps = Meter.CreateCounter<long>("quietstar.train.steps", "{step}", "Optimizer steps completed.");
    private static readonly Counter<long> Tokens = Meter.CreateCounter<long>("quietstar.train.tokens", "{token}", "Real tokens trained on.");
    private static readonly Histogram<double> Loss = Meter.CreateHistogram<double>("quietstar.train.loss", "nat", "Loss components per step (tag: component).");
    private static readonly Histogram<double> MixingWeight = Meter.CreateHistogram<double>("quietstar.train.mixing_weight", null, "Mean mixing weight per step.");
    private static readonly Histogram<double> MixingWeightSpread = Meter.CreateHistogram<double>("quietstar.train.mixing_weight_spread", null,
        "Mixing-weight distribution per step (tag: statistic = std, p10, p50, p90).");
    private static readonly Histogram<double> PolicyRatio = Meter.CreateHistogram<double>("quietstar.train.policy_ratio", null, "Weighted policy term over the LM loss per step.");
    private static readonly Histogram<double> PolicyWeight = Meter.CreateHistogram<double>("quietstar.train.policy_weight", null, "Policy weight per step (ramped during its warm-up).");
    private static readonly Histogram<double> ThoughtEntropy = Meter.CreateHistogram<double>("quietstar.train.thought_entropy", "nat", "Mean thought-token entropy at temperature 1 per step.");
    private static readonly Histogram<double> ThoughtKl = Meter.CreateHistogram<double>("quietstar.train.thought_kl", "nat", "Mean KL of the thought tokens to the base distribution per step.");
    private static readonly Histogram<double> DistinctThoughts = Meter.CreateHistogram<double>("quietstar.train.distinct_thoughts", "{thought}", "Distinct thoughts per batch.");
    private static readonly Histogram<double> Reward = Meter.CreateHistogram<double>("quietstar.train.reward", "nat", "Mean thought reward per step.");
    private static readonly Histogram<double> TokensPerSecond = Meter.CreateHistogram<double>("quietstar.train.tokens_per_second", "{token}/s", "Training throughput.");
    private static readonly Histogram<double> GradientNorm = Meter.CreateHistogram<double>("quietstar.train.gradient_norm", null, "Global gradient norm before clipping.");
    private static readonly Histogram<double> Validation = Meter.CreateHistogram<double>("quietstar.validation.nll", "nat", "Validation NLL (tag: kind).");

    public static void RecordStep(TrainingProgress progress)
    {
        var c = progress.Metrics;
        Steps.Add(1);
        Tokens.Add(progress.Tokens);
        RecordLoss(c.Loss, "total");
        RecordLoss(c.BaseNll, "base_nll");
        RecordLoss(c.TalkNll[0], "talk_nll");
        RecordLoss(c.TalkMinusBase, "talk_minus_base");
        RecordLoss(c.WeightedPolicyLoss, "policy");
        RecordLoss(c.WeightedEntropyBonus, "entropy_bonus");
        RecordLoss(c.WeightedThoughtKl, "thought_kl");
        MixingWeight.Record(c.MixingWeightMean);
        Reward.Record(c.RewardMean);
        TokensPerSecond.Record(progress.TokensPerSecond);
        GradientNorm.Record(progress.GradientNorm);
        if (progress.WithThoughts)
        {
            RecordThoughts(c);
        }
    }

    private static void RecordThoughts(StepMetrics c)
    {
        RecordSpread(c.MixingWeightStd, "std");
        RecordSpread(c.MixingWeightP10, "p10");
        RecordSpread(c.MixingWeightP50, "p50");
        RecordSpread(c.MixingWeightP90, "p90");
        PolicyRatio.Record(c.PolicyToLanguageModelingRatio);
        PolicyWeight.Record(c.PolicyWeight);
        ThoughtEntropy.Record(c.ThoughtEntropy);
        ThoughtKl.Record(c.ThoughtKl);
        DistinctThoughts.Record(c.DistinctThoughts);
    }

    public static void RecordValidation(ValidationMetrics result)
    {
        RecordValidation(result.BaseNll, "base");
        RecordValidation(result.TalkNll, "talk");
        RecordValidation(result.HardBaseNll, "hard_base");
        RecordValidation(result.HardTalkNll, "hard_talk");
    }

    private static void RecordLoss(double value, string component) =>
        Loss.Record(value, new KeyValuePair<string, object?>("component", component));

    private static void RecordSpread(double value, string statistic) =>
        MixingWeightSpread.Record(value, new KeyValuePair<string, object?>("statistic", statistic));

    private static void RecordValidation(double value, string kind) =>
        Validation.Record(value, new KeyValuePair<string, object?>("kind", kind));
}
