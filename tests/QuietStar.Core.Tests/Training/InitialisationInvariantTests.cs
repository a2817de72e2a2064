using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training;

[Trait("Category", "Invariant")]
public sealed class InitialisationInvariantTests
{
    [Theory]
    [InlineData(ThoughtAttention.Diagonal)]
    [InlineData(ThoughtAttention.Masked)]
    public void At_initialisation_thinking_changes_nothing(ThoughtAttention attention)
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions(attention);
        using var model = TinyQuietStar.Create(options, seed: 3);
        var ids = TinyModels.RandomIds(2, 9, 96, seed: 4);
        using var noGrad = torch.no_grad();
        var result = new QuietStarObjective(model).Compute(ids, null, new Generator(5));

        for (int s = 0; s < options.TalkTokens; s++)
        {
            result.MixingWeights[s].abs().max().item<float>().Should().Be(0f);
            // Bit for bit: the talk logits are the rolled base logits.
            result.TalkLogits[s].equal(result.BaseLogits.roll(-s, 1)).all().item<bool>().Should().BeTrue($"talk step {s}");
        }

        result.Policy.Reward.abs().max().item<float>().Should().Be(0f);
        result.Policy.Advantage.abs().max().item<float>().Should().Be(0f);
        result.Policy.PolicyLoss.item<float>().Should().Be(0f);

        // The LM loss is then the base-only value: talk step s scores the base NLL of positions s..L−2.
        var baseNll = result.LanguageModeling.BaseNll;                                  // [R, L−1]
        long n = baseNll.shape[1];
        var talkMeans = Enumerable.Range(0, options.TalkTokens).Select(s => baseNll.narrow(1, s, n - s).mean().item<float>());
        double expected = 0.5 * baseNll.mean().item<float>() + 0.5 * talkMeans.Average();
        result.Loss.item<float>().Should().BeApproximately((float)expected, 1e-6f);
    }

    [Fact]
    public void Reward_from_the_thought_branch_is_live_at_initialisation_and_equals_the_branch_likelihood_gain()
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions(ThoughtAttention.Diagonal) with { RewardFromThought = true };
        using var model = TinyQuietStar.Create(options, seed: 3);
        var ids = TinyModels.RandomIds(2, 9, 96, seed: 4);
        using var noGrad = torch.no_grad();
        var result = new QuietStarObjective(model).Compute(ids, null, new Generator(5));

        // w = 0, so the mixed talk NLLs equal the base ones and the reference's reward would be exactly 0 (test above);
        // the thought branch's own prediction differs from the base, so this reward is not.
        result.MixingWeights[0].abs().max().item<float>().Should().Be(0f);
        result.Policy.Reward.abs().max().item<float>().Should().BeGreaterThan(1e-3f);

        // r(t) = Σ_s [NLL_base(t+s) − NLL_thought,s(t)], with NLL_thought,s from lm_head(h_talk_s), i.e. the talk logits at w = 1.
        var baseNll = result.LanguageModeling.BaseNll;                                  // [R, L−1]
        long rows = baseNll.shape[0], n = result.Policy.Reward.shape[1];
        var expected = torch.zeros(rows, n, dtype: baseNll.dtype);
        for (int s = 0; s < options.TalkTokens; s++)
        {
            var logits = model.LanguageModel.ComputeLogits(result.Rollout.TalkHidden[s]);  // [R, L, V]
            var logp = nn.functional.log_softmax(logits.narrow(1, 0, n), -1);             // [R, n, V]
            var target = ids.repeat_interleave(options.Passes, 0).narrow(1, 1 + s, n);         // [R, n]: x_{t+s+1}
            var thoughtNll = -logp.gather(2, target.unsqueeze(-1)).squeeze(-1);            // [R, n]
            expected += baseNll.narrow(1, s, n) - thoughtNll;
        }

        (result.Policy.Reward - expected).abs().max().item<float>().Should().BeLessThan(1e-4f);
    }
}
