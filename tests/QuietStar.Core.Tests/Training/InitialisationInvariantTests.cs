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
}
