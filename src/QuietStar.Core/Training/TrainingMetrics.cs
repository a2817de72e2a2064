using System.Diagnostics.Metrics;
using QuietStar.Core.Evaluation;

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
    private static readonly Histogram<double> Reward = Meter.CreateHistogram<double>("quietstar.train.reward", "nat", "Mean thought reward per step.");
    private static readonly Histogram<double> TokensPerSecond = Meter.CreateHistogram<double>("quietstar.train.tokens_per_second", "{token}/s", "Training throughput.");
    private static readonly Histogram<double> GradientNorm = Meter.CreateHistogram<double>("quietstar.train.gradient_norm", null, "Global gradient norm before clipping.");
    private static readonly Histogram<double> Validation = Meter.CreateHistogram<double>("quietstar.validation.nll", "nat", "Validation NLL (tag: kind).");

    public static void RecordStep(TrainingProgress progress)
    {
        var c = progress.Components;
        Steps.Add(1);
        Tokens.Add(progress.Tokens);
        RecordLoss(c.Loss, "total");
        RecordLoss(c.BaseNll, "base_nll");
        RecordLoss(c.TalkNll[0], "talk_nll");
        RecordLoss(c.TalkMinusBase, "talk_minus_base");
        RecordLoss(c.WeightedPolicyLoss, "policy");
        MixingWeight.Record(c.MixingWeightMean);
        Reward.Record(c.RewardMean);
        TokensPerSecond.Record(progress.TokensPerSecond);
        GradientNorm.Record(progress.GradientNorm);
    }

    public static void RecordValidation(ValidationResult result)
    {
        RecordValidation(result.BaseNll, "base");
        RecordValidation(result.TalkNll, "talk");
        RecordValidation(result.HardBaseNll, "hard_base");
        RecordValidation(result.HardTalkNll, "hard_talk");
    }

    private static void RecordLoss(double value, string component) =>
        Loss.Record(value, new KeyValuePair<string, object?>("component", component));

    private static void RecordValidation(double value, string kind) =>
        Validation.Record(value, new KeyValuePair<string, object?>("kind", kind));
}
