using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training.Recipe;

public sealed class TrainingMetricTests
{
    [Fact]
    public void Distinct_thoughts_counts_distinct_rows_of_a_hand_made_batch()
    {
        using var scope = torch.NewDisposeScope();
        // R = 2, L = 3, T = 2: rows (4,5) ×3, (5,4), (4,6), (7,7); (5,4) differs from (4,5) only in order.
        var ids = torch.tensor(new long[] { 4, 5, 4, 5, 5, 4, 4, 6, 4, 5, 7, 7 }).view(2, 3, 2);
        var real = torch.tensor(new[] { true, true, true, true, true, false }).view(2, 3);

        StepMetrics.CountDistinct(ids).Should().Be(4);
        StepMetrics.CountDistinct(ids, real).Should().Be(3, "the padded position's thought (7,7) is not counted");
        StepMetrics.CountDistinct(torch.full(2, 3, 2, 9L)).Should().Be(1, "a collapsed batch has one thought");
    }

    [Fact]
    public void Quantiles_interpolate_linearly_between_order_statistics()
    {
        using var scope = torch.NewDisposeScope();
        var values = torch.tensor(new[] { 0.5, -1.0, 3.0, 2.0, 0.0 }).view(1, 5, 1); // sorted: −1, 0, 0.5, 2, 3

        var quantiles = StepMetrics.Quantiles(values, 0.1, 0.5, 0.9, 1.0);

        quantiles.Should().Equal([-0.6, 0.5, 2.6, 3.0], (a, e) => Math.Abs(a - e) < 1e-12);
    }

    [Fact]
    public void Components_report_the_mixing_spread_the_policy_ratio_and_the_thought_terms()
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions() with { PolicyLossWeight = 100, ThoughtEntropyWeight = 0.5, ThoughtKlWeight = 0.25 };
        using var model = TinyQuietStar.Create(options, seed: 41, liveHead: true);
        var ids = TinyModels.RandomIds(2, 10, 96, seed: 42);
        var isReal = torch.ones(2, 10, dtype: ScalarType.Bool);
        isReal[1, 8] = false;
        isReal[1, 9] = false;

        var result = new QuietStarObjective(model).Compute(ids, isReal, new Generator(43));
        var c = result.Metrics();

        c.MixingWeightMin.Should().BeLessThanOrEqualTo(c.MixingWeightP10);
        c.MixingWeightP10.Should().BeLessThan(c.MixingWeightP50);
        c.MixingWeightP50.Should().BeLessThan(c.MixingWeightP90);
        c.MixingWeightP90.Should().BeLessThanOrEqualTo(c.MixingWeightMax);
        // The spread is over the weights of scored predictions only: talk step s at t counts when x_{t+s+1} exists and is real.
        var scored = new List<double>();
        for (int s = 0; s < result.MixingWeights.Count; s++)
        {
            for (int r = 0; r < 4; r++)
            {
                for (int t = 0; t + s + 1 < 10; t++)
                {
                    if (result.IsReal[r, t + s + 1].item<bool>())
                    {
                        scored.Add(result.MixingWeights[s][r, t, 0].item<float>());
                    }
                }
            }
        }

        scored.Should().HaveCount((4 * 9) - (2 * 2) + (4 * 8) - (2 * 2), "padding (2 positions × 2 passes) and the rolled-around tail are left out");
        double mean = scored.Average();
        c.MixingWeightMean.Should().BeApproximately(mean, 1e-6);
        c.MixingWeightStd.Should().BeApproximately(Math.Sqrt(scored.Average(v => (v - mean) * (v - mean))), 1e-6);
        c.MixingWeightMin.Should().Be(scored.Min());
        c.MixingWeightMax.Should().Be(scored.Max());
        var all = torch.cat(result.MixingWeights.ToArray(), -1);
        Math.Abs(c.MixingWeightMean - all.mean().item<float>()).Should().BeGreaterThan(1e-6, "the unscored entries would move the mean");
        c.PolicyWeight.Should().Be(100);
        c.PolicyToLanguageModelingRatio.Should().BeApproximately(100 * c.PolicyLoss / c.LanguageModelingLoss, 1e-9);
        c.ThoughtEntropy.Should().BePositive();
        c.ThoughtEntropy.Should().BeLessThanOrEqualTo(Math.Log(96), "entropy over at most the 96 sampleable tokens");
        c.ThoughtKl.Should().BePositive();
        c.WeightedEntropyBonus.Should().BeApproximately(-0.5 * c.ThoughtEntropy, 1e-6);
        c.WeightedThoughtKl.Should().BeApproximately(0.25 * c.ThoughtKl, 1e-6);
        c.AdvantageStd.Should().BePositive();
        c.DistinctThoughts.Should().Be(StepMetrics.CountDistinct(result.Rollout.ThoughtIds, result.IsReal));
        c.DistinctThoughts.Should().BeLessThanOrEqualTo(4 * 10 - 2 * 2, "only real positions count (2 padded positions × 2 passes)");
    }

    [Fact]
    public void Thought_entropy_is_the_mean_entropy_at_temperature_one_over_real_positions()
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions();
        using var model = TinyQuietStar.Create(options, seed: 44, dtype: ScalarType.Float64);
        var ids = TinyModels.RandomIds(1, 8, 96, seed: 45);
        var isReal = torch.ones(1, 8, dtype: ScalarType.Bool);
        isReal[0, 7] = false;

        var recorder = new RecordingThoughtGenerator(scope);
        var result = new QuietStarObjective(model, recorder).Compute(ids, isReal, new Generator(46));

        double expected = 0;
        int count = 0;
        for (int k = 0; k < options.ThoughtTokens; k++)
        {
            for (int r = 0; r < 2; r++)
            {
                for (int t = 0; t < 7; t++)
                {
                    var p = recorder.Logits[k][r, t].softmax(0);
                    expected += -(p * p.clamp_min(1e-300).log()).sum().item<double>();
                    count++;
                }
            }
        }

        recorder.Steps.Should().Equal(1, 2, 3);
        result.Regularization.ThoughtSteps.Should().Be(options.ThoughtTokens);
        result.Regularization.Entropy.item<double>().Should().BeApproximately(expected / count, 1e-10);
    }
}
