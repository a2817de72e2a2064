using FluentAssertions;
using QuietStar.Core.Common;
using QuietStar.Core.Evaluation;
using Xunit;

namespace QuietStar.Core.Tests.Evaluation;

public sealed class TextNllComparisonTests
{
    [Fact]
    public void A_candidate_better_on_the_hard_tokens_only_shows_it_on_the_hard_set()
    {
        var random = new Random(1);
        var baseline = Enumerable.Range(0, 2000).Select(_ => random.NextDouble() * 4).ToArray();
        var hard = HardTokens.Hardest(baseline, 0.1).ToHashSet();
        var candidate = baseline.Select((v, i) => hard.Contains(i) ? v - 0.2 : v).ToArray();   // 0.2 nats better where it is hard

        var result = TextNllComparison.Compare(Result(candidate), Result(baseline), resamples: 2000);

        result.HardTokens.Should().Be(200);
        result.Hard.MeanDifference.Should().BeApproximately(-0.2, 1e-9);
        result.Hard.Upper.Should().BeLessThan(0, "the hard-token gain is certain");
        result.All.MeanDifference.Should().BeApproximately(-0.02, 1e-9);
    }

    [Fact]
    public void The_hard_set_is_chosen_by_the_baseline_so_both_models_are_scored_on_the_same_tokens()
    {
        var baseline = new[] { 1.0, 9.0, 2.0, 3.0, 8.0, 0.5, 0.1, 0.2, 0.3, 0.4 };
        HardTokens.Hardest(baseline, 0.2).Should().Equal(1, 4);
    }

    [Fact]
    public void The_comparison_takes_as_many_hard_tokens_as_the_text_nll_evaluation()
    {
        // One rule, ⌈fraction · n⌉: 11 tokens at 10 % are 2 hard tokens (rounding, as the comparison once did, gave 1).
        var baseline = new[] { 1.0, 5.0, 5.0, 5.0, 0.0, 2.0, 3.0, 4.0, 0.0, 1.0, 2.0 };
        TextNllComparison.Compare(Result(baseline), Result(baseline), hardFraction: 0.1, resamples: 10).HardTokens.Should().Be(2);
        HardTokens.Hardest(baseline, 0.1).Should().Equal(1, 2);
        HardTokens.TopFraction(baseline, 0.1).Should().BeEquivalentTo(HardTokens.Hardest(baseline, 0.1));
    }

    [Fact]
    public void Results_over_different_token_counts_are_rejected()
    {
        var act = () => TextNllComparison.Compare(Result([1.0, 2.0]), Result([1.0, 2.0, 3.0]));
        act.Should().Throw<ArgumentException>().WithMessage("*2 tokens*3*same text*");
    }

    [Fact]
    public void A_model_without_thoughts_is_compared_by_its_base_nll()
    {
        var plain = Result([1.0, 1.0, 1.0, 1.0], talk: null);
        var thinking = Result([1.0, 1.0, 1.0, 1.0], talk: [0.5, 0.5, 0.5, 0.5]);
        TextNllComparison.Compare(thinking, plain, hardFraction: 0.5, resamples: 100).All.MeanDifference.Should().Be(-0.5);
    }

    private static TextNllResult Result(double[] nll) => Result(nll, nll);

    private static TextNllResult Result(double[] baseNll, double[]? talk) => new(
        baseNll.Length, baseNll.Average(), talk?.Average(), 0, null, null, 0.1, baseNll, talk, [],
        new EvaluationSettings(talk is not null, 0, 0, 0, 0));
}
