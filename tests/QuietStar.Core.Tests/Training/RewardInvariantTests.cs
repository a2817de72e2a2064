using FluentAssertions;
using QuietStar.Core.Algorithm;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training;

[Trait("Category", "Invariant")]
public sealed class RewardInvariantTests
{
    private const int Rows = 6;   // 3 sequences × 2 passes
    private const int Length = 10;
    private const int Talk = 3;

    [Fact]
    public void Unclamped_advantages_sum_to_zero_over_the_passes_of_each_sequence()
    {
        using var scope = torch.NewDisposeScope();
        var options = Options(passes: 3, clamp: false);
        var result = new ReinforceRewardEstimator().Estimate(RandomNll(seed: 1, rows: 6), LogProbs(6), options);
        result.Advantage.shape.Should().Equal(6, Length - 1 - Talk);
        var perSequence = result.Advantage.view(2, 3, -1).sum(1);                    // [B, n]
        perSequence.abs().max().item<float>().Should().BeLessThan(1e-5f);
        result.Advantage.abs().max().item<float>().Should().BeGreaterThan(0.01f, "the rewards are not trivially zero");
    }

    [Fact]
    public void With_two_passes_at_most_one_clamped_advantage_is_positive_and_it_is_half_the_reward_gap()
    {
        using var scope = torch.NewDisposeScope();
        var result = new ReinforceRewardEstimator().Estimate(RandomNll(seed: 2, rows: Rows), LogProbs(Rows), Options(passes: 2, clamp: true));
        var clamped = result.TrainingAdvantage.view(3, 2, -1);                        // [B, P, n]
        var reward = result.Reward.view(3, 2, -1);
        clamped.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
        clamped.gt(0).sum(1).max().item<long>().Should().BeLessThanOrEqualTo(1);
        var halfGap = (reward[.., 0] - reward[.., 1]).abs() / 2;                      // [B, n]
        (clamped.sum(1) - halfGap).abs().max().item<float>().Should().BeLessThan(1e-5f);
    }

    [Fact]
    public void Adding_a_constant_to_the_base_nll_leaves_advantages_unchanged()
    {
        using var scope = torch.NewDisposeScope();
        var nll = RandomNll(seed: 3, rows: Rows);
        var shifted = nll with { BaseNll = nll.BaseNll + 1.75f };
        var estimator = new ReinforceRewardEstimator();
        var options = Options(passes: 2, clamp: false);
        var a = estimator.Estimate(nll, LogProbs(Rows), options);
        var b = estimator.Estimate(shifted, LogProbs(Rows), options);
        (a.Advantage - b.Advantage).abs().max().item<float>().Should().BeLessThan(1e-5f);
        (a.Reward - b.Reward).abs().min().item<float>().Should().BeGreaterThan(1f, "the reward itself does move");
    }

    [Fact]
    public void Reward_sums_the_talk_gain_over_the_next_m_tokens()
    {
        using var scope = torch.NewDisposeScope();
        var nll = RandomNll(seed: 4, rows: 2);
        var result = new ReinforceRewardEstimator().Estimate(nll, LogProbs(2), Options(passes: 2, clamp: false));
        for (int t = 0; t < Length - 1 - Talk; t++)
        {
            float expected = 0;
            for (int s = 0; s < Talk; s++)
            {
                expected += nll.BaseNll[0, t + s].item<float>() - nll.TalkNll[s][0, t].item<float>();
            }

            result.Reward[0, t].item<float>().Should().BeApproximately(expected, 1e-5f);
        }
    }

    [Fact]
    public void Policy_loss_is_the_mean_over_thought_tokens_of_minus_advantage_times_log_probability()
    {
        using var scope = torch.NewDisposeScope();
        var nll = RandomNll(seed: 5, rows: Rows);
        var logp = -torch.rand(Rows, Length, 4, generator: new Generator(6));            // [R, L, T]
        var result = new ReinforceRewardEstimator().Estimate(nll, logp, Options(passes: 2, clamp: true));
        int n = Length - 1 - Talk;
        double expected = 0;
        for (int k = 0; k < 4; k++)
        {
            expected += (-result.TrainingAdvantage * logp[.., ..n, k]).mean().item<float>() / 4;
        }

        result.PolicyLoss.item<float>().Should().BeApproximately((float)expected, 1e-6f);
    }

    private static QuietStarOptions Options(int passes, bool clamp) =>
        new() { TalkTokens = Talk, Passes = passes, ClampNegativeAdvantages = clamp };

    private static Tensor LogProbs(int rows) => torch.full(rows, Length, 2, -1.0f);

    private static TeacherForcingResult RandomNll(long seed, int rows)
    {
        var g = new Generator((ulong)seed);
        var baseNll = torch.rand(rows, Length - 1, generator: g) * 4;                   // [R, L−1]
        var talk = Enumerable.Range(0, Talk).Select(s => torch.rand(rows, Length - 1 - s, generator: g) * 4).ToList();
        var zero = torch.zeros(1);
        return new TeacherForcingResult(baseNll, talk, zero, talk.Select(_ => zero).ToList(), zero);
    }
}
