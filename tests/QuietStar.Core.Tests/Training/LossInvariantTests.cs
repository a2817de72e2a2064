using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tests.Oracle;
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
    public void Without_the_policy_term_start_and_end_get_gradient_from_the_nll_only_and_the_policy_term_adds_exactly_its_own()
    {
        using var scope = torch.NewDisposeScope();
        var (ids, isReal) = ObjectiveOracleTests.Batch(seed: 3);
        string[] thoughtEmbeddings = ["thought_embeddings.start_embedding", "thought_embeddings.end_embedding"];
        var withPolicyOptions = ObjectiveOracleTests.Options(ThoughtAttention.Diagonal, MixingSpace.Logits, normalize: false);
        double weight = withPolicyOptions.PolicyLossWeight;
        (Dictionary<string, Tensor> Library, Dictionary<string, Tensor> Oracle, Tensor Thoughts) Gradients(bool includePolicy)
        {
            var options = withPolicyOptions with { IncludePolicyLoss = includePolicy };
            var model = ObjectiveOracleTests.CreateModel(options, seed: 5);
            var result = new QuietStarObjective(model).Compute(ids, isReal, new Generator(9));
            if (!includePolicy)
            {
                result.Loss.item<double>().Should().Be(result.LanguageModeling.Loss.item<double>());
            }

            result.Loss.backward();
            var library = ObjectiveOracleTests.Gradients(model);
            model.zero_grad();
            var oracle = ObjectiveOracle.Compute(model, options, ObjectiveOracleTests.ToArray(ids), ObjectiveOracleTests.Real,
                ObjectiveOracleTests.ToArray3(result.Rollout.ThoughtIds), includePolicy ? weight : 0);
            oracle.Loss.backward();
            return (library, ObjectiveOracleTests.Gradients(model), result.Rollout.ThoughtIds);
        }

        var nllOnly = Gradients(includePolicy: false);
        var withPolicy = Gradients(includePolicy: true);
        withPolicy.Thoughts.Equals(nllOnly.Thoughts).Should().BeTrue("both runs sample the same thoughts");
        foreach (string name in thoughtEmbeddings)
        {
            // From the NLL only: exactly the oracle's gradient of L_NLL.
            TinyQuietStar.MaxAbs(nllOnly.Oracle[name]).Should().BeGreaterThan(1e-6, $"the talk NLL reaches {name} through the thought");
            ObjectiveOracleTests.RelativeMax(nllOnly.Library[name], nllOnly.Oracle[name]).Should().BeLessThan(1e-10, $"{name} without the policy term");

        }

        // The policy term adds its own gradient to START (the thought tokens' log-probabilities are conditioned on it), and
        // exactly the oracle's β·∂L_PG; END comes after the sampled tokens, so it gets nothing from the policy term.
        string start = thoughtEmbeddings[0], end = thoughtEmbeddings[1];
        var addedToStart = withPolicy.Library[start] - nllOnly.Library[start];
        var expectedForStart = withPolicy.Oracle[start] - nllOnly.Oracle[start];
        TinyQuietStar.MaxAbs(expectedForStart).Should().BeGreaterThan(1e-2 * TinyQuietStar.MaxAbs(nllOnly.Oracle[start]), "the policy term moves START");
        ObjectiveOracleTests.RelativeMax(addedToStart, expectedForStart).Should().BeLessThan(1e-9, "the policy term's gradient on START");
        TinyQuietStar.MaxAbs(withPolicy.Library[end] - nllOnly.Library[end]).Should().BeLessThan(1e-12 * TinyQuietStar.MaxAbs(nllOnly.Library[end]),
            "the policy term does not reach END");
    }
}
