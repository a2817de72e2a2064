using FluentAssertions;
using QuietStar.Core.Algorithm;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training.Recipe;

[Trait("Category", "Invariant")]
public sealed class AdvantageNormalizationTests
{
    private const int Length = 12;
    private const int Talk = 3;

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Normalised_advantages_have_unit_std_over_the_batch_and_still_sum_to_zero_over_the_passes(int passes)
    {
        using var scope = torch.NewDisposeScope();
        int rows = 4 * passes;
        var nll = RandomNll(seed: 21, rows, scale: 0.01f);

        var raw = Estimate(nll, rows, passes, normalize: false, clamp: false);
        var normalised = Estimate(nll, rows, passes, normalize: true, clamp: false);

        raw.Advantage.std(unbiased: false).item<float>().Should().BeInRange(1e-3f, 0.05f, "the rewards are small, as with a mixing weight near 0");
        normalised.Advantage.std(unbiased: false).item<float>().Should().BeApproximately(1f, 1e-5f);
        normalised.Advantage.view(rows / passes, passes, -1).sum(1).abs().max().item<float>().Should().BeLessThan(1e-5f);
        var scaled = raw.Advantage / raw.AdvantageStd;
        (normalised.Advantage - scaled).abs().max().item<float>().Should().BeLessThan(1e-5f, "normalising only rescales");
        normalised.AdvantageStd.item<float>().Should().Be(raw.AdvantageStd.item<float>(), "the reported std is the raw one");
        normalised.Reward.Equals(raw.Reward).Should().BeTrue("the reward itself is untouched");
    }

    [Fact]
    public void The_clamp_applies_after_normalising_so_with_two_passes_one_copy_gets_half_the_normalised_gap()
    {
        using var scope = torch.NewDisposeScope();
        var nll = RandomNll(seed: 22, rows: 6, scale: 1f);

        var result = Estimate(nll, rows: 6, passes: 2, normalize: true, clamp: true);

        var clamped = result.TrainingAdvantage.view(3, 2, -1);                                           // [B, P, n]
        var advantage = result.Advantage.view(3, 2, -1);
        clamped.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
        clamped.gt(0).sum(1).max().item<long>().Should().BeLessThanOrEqualTo(1);
        (clamped.sum(1) - (advantage[.., 0] - advantage[.., 1]).abs() / 2).abs().max().item<float>().Should().BeLessThan(1e-5f);
        result.Advantage.std(unbiased: false).item<float>().Should().BeApproximately(1f, 1e-5f, "the std is taken before the clamp");
    }

    [Fact]
    public void All_zero_advantages_stay_zero_and_rounding_noise_is_not_blown_up()
    {
        using var scope = torch.NewDisposeScope();
        var zero = RandomNll(seed: 23, rows: 4, scale: 0f);
        var noise = RandomNll(seed: 24, rows: 4, scale: 1e-9f, zeroBase: true);

        var atInit = Estimate(zero, rows: 4, passes: 2, normalize: true, clamp: false);
        var nearInit = Estimate(noise, rows: 4, passes: 2, normalize: true, clamp: false);

        atInit.Advantage.abs().max().item<float>().Should().Be(0f);
        atInit.PolicyLoss.item<float>().Should().Be(0f);
        nearInit.AdvantageStd.item<float>().Should().BeInRange(1e-10f, 1e-8f);
        nearInit.Advantage.abs().max().item<float>().Should().BeInRange(1e-5f, 1e-2f, "a std below the floor is divided by the floor");
    }

    [Fact]
    public void The_std_is_taken_over_scored_positions_only_so_padding_does_not_deflate_it()
    {
        using var scope = torch.NewDisposeScope();
        // 2 sequences × 2 passes; sequence 1 has 5 real tokens, so its positions t ≥ 4 cover padding only (n = L−1−M = 8).
        var real = torch.ones(4, Length, dtype: ScalarType.Bool);
        real[2.., 5..] = false;
        var dense = RandomNll(seed: 26, rows: 4, scale: 0.5f);
        var nll = new TeacherForcingResult(
            dense.BaseNll.masked_fill(real.narrow(1, 1, Length - 1).logical_not(), 0),
            [.. dense.TalkNll.Select((t, s) => t.masked_fill(real.narrow(1, 1 + s, Length - 1 - s).logical_not(), 0))],
            dense.BaseLoss, dense.TalkLosses, dense.Loss) { TargetIsReal = real };

        var result = Estimate(nll, rows: 4, passes: 2, normalize: true, clamp: false);

        int n = Length - 1 - Talk;
        var scored = torch.ones(4, n, dtype: ScalarType.Bool);
        scored[2.., 4..] = false;                                                      // t + 1 ≥ 5: no real target
        result.Advantage.masked_select(scored.logical_not()).abs().max().item<float>().Should().Be(0f);
        var kept = result.Advantage.masked_select(scored);
        kept.std(unbiased: false).item<float>().Should().BeApproximately(1f, 1e-5f, "unit std over the scored positions");
        result.Advantage.std(unbiased: false).item<float>().Should().BeLessThan(0.95f, "over all positions, zeros included, it would be deflated");
        var rawKept = Estimate(nll, rows: 4, passes: 2, normalize: false, clamp: false).Advantage.masked_select(scored);
        result.AdvantageStd.item<float>().Should().BeApproximately(rawKept.std(unbiased: false).item<float>(), 1e-6f);
    }

    private static PolicyResult Estimate(TeacherForcingResult nll, int rows, int passes, bool normalize, bool clamp) =>
        new ReinforceRewardEstimator().Estimate(nll, -torch.rand(rows, Length, 2, generator: new Generator(25)),
            new QuietStarOptions { TalkTokens = Talk, Passes = passes, NormalizeAdvantages = normalize, ClampNegativeAdvantages = clamp });

    /// <summary>Base NLLs (uniform in [2, 3), or 0 with <paramref name="zeroBase"/>) and talk NLLs that differ from them by N(0, scale²).</summary>
    private static TeacherForcingResult RandomNll(long seed, int rows, float scale, bool zeroBase = false)
    {
        var g = new Generator((ulong)seed);
        var baseNll = zeroBase ? torch.zeros(rows, Length - 1) : torch.rand(rows, Length - 1, generator: g) + 2; // [R, L−1]
        var talk = Enumerable.Range(0, Talk).Select(s => baseNll.narrow(1, s, Length - 1 - s) + torch.randn(rows, Length - 1 - s, generator: g) * scale).ToList();
        var zero = torch.zeros(1);
        return new TeacherForcingResult(baseNll, talk, zero, talk.Select(_ => zero).ToList(), zero);
    }
}
