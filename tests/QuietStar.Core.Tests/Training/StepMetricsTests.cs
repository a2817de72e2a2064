using FluentAssertions;
using QuietStar.Core.Algorithm;
using Xunit;

namespace QuietStar.Core.Tests.Training;

/// <summary>The micro-batch pooling of an optimizer step's metrics, written out field by field as it was before it became generic.</summary>
public sealed class StepMetricsTests
{
    private static StepMetrics Part(double x, int distinct) => new()
    {
        Loss = x, BaseNll = x + 1, TalkNll = [x + 2, x + 3], PolicyLoss = x + 4, WeightedPolicyLoss = x + 5,
        LanguageModelingLoss = x + 6, PolicyWeight = x + 7, MixingWeightMean = x + 8, MixingWeightMin = x + 9,
        MixingWeightMax = x + 10, MixingWeightStd = x + 11, MixingWeightP10 = x + 12, MixingWeightP50 = x + 13,
        MixingWeightP90 = x + 14, RewardMean = x + 15, PositiveAdvantageFraction = x + 16, AdvantageStd = x + 17,
        ThoughtEntropy = x + 18, ThoughtKl = x + 19, WeightedEntropyBonus = x + 20, WeightedThoughtKl = x + 21,
        DistinctThoughts = distinct,
    };

    [Fact]
    public void Mean_averages_every_metric_takes_min_and_max_where_marked_and_rounds_counts()
    {
        StepMetrics[] parts = [Part(0.1, 3), Part(0.7, 4), Part(0.4, 4)];

        var mean = StepMetrics.Mean(parts);

        double Avg(Func<StepMetrics, double> f) => parts.Average(f);
        mean.Loss.Should().Be(Avg(p => p.Loss));
        mean.BaseNll.Should().Be(Avg(p => p.BaseNll));
        mean.TalkNll.Should().Equal(Avg(p => p.TalkNll[0]), Avg(p => p.TalkNll[1]));
        mean.PolicyLoss.Should().Be(Avg(p => p.PolicyLoss));
        mean.WeightedPolicyLoss.Should().Be(Avg(p => p.WeightedPolicyLoss));
        mean.LanguageModelingLoss.Should().Be(Avg(p => p.LanguageModelingLoss));
        mean.PolicyWeight.Should().Be(Avg(p => p.PolicyWeight));
        mean.MixingWeightMean.Should().Be(Avg(p => p.MixingWeightMean));
        mean.MixingWeightMin.Should().Be(parts.Min(p => p.MixingWeightMin));
        mean.MixingWeightMax.Should().Be(parts.Max(p => p.MixingWeightMax));
        mean.MixingWeightStd.Should().Be(Avg(p => p.MixingWeightStd));
        mean.MixingWeightP10.Should().Be(Avg(p => p.MixingWeightP10));
        mean.MixingWeightP50.Should().Be(Avg(p => p.MixingWeightP50));
        mean.MixingWeightP90.Should().Be(Avg(p => p.MixingWeightP90));
        mean.RewardMean.Should().Be(Avg(p => p.RewardMean));
        mean.PositiveAdvantageFraction.Should().Be(Avg(p => p.PositiveAdvantageFraction));
        mean.AdvantageStd.Should().Be(Avg(p => p.AdvantageStd));
        mean.ThoughtEntropy.Should().Be(Avg(p => p.ThoughtEntropy));
        mean.ThoughtKl.Should().Be(Avg(p => p.ThoughtKl));
        mean.WeightedEntropyBonus.Should().Be(Avg(p => p.WeightedEntropyBonus));
        mean.WeightedThoughtKl.Should().Be(Avg(p => p.WeightedThoughtKl));
        mean.DistinctThoughts.Should().Be(4, "(3 + 4 + 4) / 3 = 3.67 rounds to 4");
    }

    [Fact]
    public void One_part_is_its_own_mean_and_a_plain_step_has_no_thought_metrics()
    {
        var part = Part(0.3, 2);
        StepMetrics.Mean([part]).Should().BeSameAs(part);

        var plain = StepMetrics.PlainLanguageModel(2.5);
        plain.Loss.Should().Be(2.5);
        plain.BaseNll.Should().Be(2.5);
        plain.LanguageModelingLoss.Should().Be(2.5);
        plain.TalkNll.Should().Equal(2.5);
        plain.MixingWeightMean.Should().Be(0);
        plain.PolicyWeight.Should().Be(0);
        plain.DistinctThoughts.Should().Be(0);
    }
}
