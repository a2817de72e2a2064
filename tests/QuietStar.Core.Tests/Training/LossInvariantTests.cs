using FluentAssertions;
using QuietStar.Core.Configuration;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training;

[Trait("Category", "Invariant")]
public sealed class LossInvariantTests
{
    [Fact]
    public void Lm_loss_is_half_base_plus_half_mean_talk_with_padding_excluded()
    {
        using var scope = torch.NewDisposeScope();
        var g = new Generator(1);
        const int rows = 2, length = 6, vocab = 11;
        var baseLogits = torch.randn(rows, length, vocab, generator: g);
        var talkLogits = new[] { torch.randn(rows, length, vocab, generator: g), torch.randn(rows, length, vocab, generator: g) };
        var targets = torch.randint(0, vocab, [rows, length], dtype: ScalarType.Int64, generator: g);
        var real = torch.ones(rows, length, dtype: ScalarType.Bool);
        real[1, 4] = false;                                                             // padding at the end of row 1
        real[1, 5] = false;

        var result = new NonMyopicLoss().Compute(baseLogits, talkLogits, targets, real, baseLossWeight: 0.5);

        double Nll(Tensor logits, int r, int t, int target) => -logits[r, t].log_softmax(0)[target].item<float>();
        double MeanNll(Tensor logits, int shift)
        {
            double sum = 0;
            int count = 0;
            for (int r = 0; r < rows; r++)
            {
                for (int t = 0; t + 1 + shift < length; t++)
                {
                    if (real[r, t + 1 + shift].item<bool>())
                    {
                        sum += Nll(logits, r, t, (int)targets[r, t + 1 + shift].item<long>());
                        count++;
                    }
                }
            }

            return sum / count;
        }

        double baseMean = MeanNll(baseLogits, 0);
        double expected = 0.5 * baseMean + 0.5 * (MeanNll(talkLogits[0], 0) + MeanNll(talkLogits[1], 1)) / 2;
        result.BaseLoss.item<float>().Should().BeApproximately((float)baseMean, 1e-5f);
        result.Loss.item<float>().Should().BeApproximately((float)expected, 1e-5f);
        result.BaseNll[1, 3].item<float>().Should().Be(0f, "the target at position 4 is padding");
        result.TalkNll[1].shape.Should().Equal(rows, length - 2);
    }

    [Fact]
    public void Mixing_in_hidden_space_equals_mixing_logits()
    {
        using var scope = torch.NewDisposeScope();
        var ids = TinyModels.RandomIds(2, 8, 96, seed: 2);
        ObjectiveResult Run(MixingSpace space)
        {
            var options = TinyQuietStar.SmallOptions() with { MixingSpace = space };
            var model = TinyQuietStar.Create(options, seed: 4, liveHead: true, dtype: ScalarType.Float64);
            using var noGrad = torch.no_grad();
            return new QuietStarObjective(model).Compute(ids, null, new Generator(8));
        }

        var logitsSpace = Run(MixingSpace.Logits);
        var hiddenSpace = Run(MixingSpace.Hidden);
        TinyQuietStar.MaxAbs(logitsSpace.MixingWeights[0]).Should().BeGreaterThan(1e-3, "the head is live, so mixing matters");
        for (int s = 0; s < logitsSpace.TalkLogits.Count; s++)
        {
            TinyQuietStar.MaxAbsDiff(logitsSpace.TalkLogits[s], hiddenSpace.TalkLogits[s]).Should().BeLessThan(1e-10f);
        }
    }

    [Fact]
    public void Without_the_policy_term_start_and_end_get_gradient_from_the_nll_only()
    {
        using var scope = torch.NewDisposeScope();
        var ids = TinyModels.RandomIds(2, 8, 96, seed: 3);
        Tensor StartGradient(bool includePolicy)
        {
            var options = TinyQuietStar.SmallOptions() with { IncludePolicyLoss = includePolicy, PolicyLossWeight = 1.0 };
            var model = TinyQuietStar.Create(options, seed: 5, liveHead: true, dtype: ScalarType.Float64);
            var result = new QuietStarObjective(model).Compute(ids, null, new Generator(9));
            if (!includePolicy)
            {
                result.Loss.item<double>().Should().Be(result.LanguageModeling.Loss.item<double>());
            }

            result.Loss.backward();
            return model.named_parameters().Single(p => p.name == "thought_embeddings.start_embedding").parameter.grad!.clone();
        }

        var nllOnly = StartGradient(includePolicy: false);
        var withPolicy = StartGradient(includePolicy: true);
        TinyQuietStar.MaxAbs(nllOnly).Should().BeGreaterThan(0, "the talk NLL reaches START through the thought");
        TinyQuietStar.MaxAbsDiff(nllOnly, withPolicy).Should().BeGreaterThan(0f, "the policy term adds its own gradient");
    }
}
