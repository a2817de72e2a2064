using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Model;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Oracle;

/// <summary>
/// Thought-on evaluation checked against an independent recomputation (issue 13): for every real position t of a padded
/// float64 batch, with greedy thoughts, the test splices <c>[x_0..x_t, START, c_1..c_T, END]</c>, picks each c_k as the
/// argmax (START/END excluded) of a plain causal forward of the growing sequence, applies the mixing head by hand and
/// mixes with the base logits of x_0..x_t. <see cref="ScoringPass.RunWithThoughts"/> must return exactly that
/// prediction (and weight) at t, so a wrong position, a wrong mix or a shifted thought in evaluation is caught.
/// </summary>
public sealed class ScoringPassRecomputationTests
{
    private const double Tolerance = 1e-10;

    [Theory]
    [Trait("Category", "Invariant")]
    [InlineData(ThoughtAttention.Diagonal, MixingSpace.Logits)]
    [InlineData(ThoughtAttention.Masked, MixingSpace.Logits)]
    [InlineData(ThoughtAttention.Diagonal, MixingSpace.Hidden)]
    public void Thought_on_logits_at_every_position_equal_an_independent_spliced_recomputation(ThoughtAttention attention, MixingSpace space)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var options = ObjectiveOracleTests.Options(attention, space, normalize: false);
        using var model = ObjectiveOracleTests.CreateModel(options, seed: 41);
        var (ids, isReal) = ObjectiveOracleTests.Batch(seed: 42);
        var forward = ScoringPass.For(model, sampling: ThoughtSampling.Greedy);

        var result = forward.RunWithThoughts(ids, isReal, new Generator(1));

        var thoughtLogits = result.TalkLogits!;                                                  // [B, L, V]
        long vocab = thoughtLogits.shape[2];
        long[][] x = ObjectiveOracleTests.ToArray(ids);
        double largestWeight = 0, largestShift = 0;
        for (int b = 0; b < x.Length; b++)
        {
            int realLength = ObjectiveOracleTests.Real[b].TakeWhile(r => r).Count();
            for (int t = 0; t < realLength; t++)
            {
                var (expected, w) = Recompute(model, options, x[b], realLength, t);                // [V_base], scalar
                var actual = thoughtLogits[b, t];                                                   // [V_base]
                ObjectiveOracleTests.RelativeMax(actual, expected.narrow(0, 0, vocab)).Should().BeLessThan(Tolerance, $"row {b}, position {t}");
                result.MixingWeights![b, t].item<double>().Should().BeApproximately(w, Tolerance, $"w at row {b}, position {t}");
                largestWeight = Math.Max(largestWeight, Math.Abs(w));
                largestShift = Math.Max(largestShift, (actual - result.BaseLogits[b, t]).abs().max().item<double>());
            }
        }

        largestWeight.Should().BeGreaterThan(0.05, "the head is live, so the mix is tested");
        largestShift.Should().BeGreaterThan(1e-3, "the thought moves the prediction, so position and content are tested");
    }

    /// <summary>The mixed next-token logits after a greedy thought at position t, and the mixing weight.</summary>
    private static (Tensor Logits, double Weight) Recompute(QuietStarModel model, QuietStarOptions options, long[] x, int realLength, int t)
    {
        var lm = model.LanguageModel;
        var p = model.named_parameters().ToDictionary(q => q.name, q => (Tensor)q.parameter);
        double scale = options.ThoughtEmbeddingGradientScale;
        var start = (p["thought_embeddings.start_embedding"] * scale).view(1, 1, -1);             // [1, 1, H]
        var end = (p["thought_embeddings.end_embedding"] * scale).view(1, 1, -1);                 // [1, 1, H]
        var classifier = lm.ClassifierWeight;                                                      // [V, H]

        var baseOut = Run(lm, Embed(lm, x.Take(realLength)));
        var baseHidden = baseOut.Hidden[0, t];                                                     // [H]
        var baseLogits = baseOut.Logits![0, t];                                                    // [V]

        var sequence = torch.cat([Embed(lm, x.Take(t + 1)), start], dim: 1);                      // [1, t+2, H]
        for (int k = 0; k < options.ThoughtTokens; k++)
        {
            var next = Run(lm, sequence).Logits![0, -1].clone();                                   // [V]
            next[model.StartThoughtId] = double.NegativeInfinity;
            next[model.EndThoughtId] = double.NegativeInfinity;
            sequence = torch.cat([sequence, Embed(lm, [next.argmax().item<long>()])], dim: 1);
        }

        sequence = torch.cat([sequence, end], dim: 1);                                             // [1, t+T+3, H]
        var talkHidden = Run(lm, sequence).Hidden[0, -1];                                          // [H]: the state after END
        var input = torch.cat([baseHidden, talkHidden], dim: 0);                                   // [2H]
        var a = (p["talk_head.input.weight"].matmul(input) + p["talk_head.input.bias"]).relu();
        var h = (p["talk_head.hidden.weight"].matmul(a) + p["talk_head.hidden.bias"]).relu();
        double w = p["talk_head.output.weight"].matmul(h).item<double>();
        var mixed = options.MixingSpace == MixingSpace.Logits
            ? ((1 - w) * baseLogits) + (w * classifier.matmul(talkHidden))
            : classifier.matmul(((1 - w) * baseHidden) + (w * talkHidden));
        return (mixed, w);
    }

    private static ModelOutput Run(CausalLanguageModel lm, Tensor embeddings) =>
        lm.Forward(new ModelInput { InputEmbeddings = embeddings, PositionIds = torch.arange(embeddings.shape[1], dtype: ScalarType.Int64).view(1, -1) });

    private static Tensor Embed(CausalLanguageModel lm, IEnumerable<long> tokens)
    {
        long[] array = tokens.ToArray();
        return lm.Embed(torch.tensor(array, dtype: ScalarType.Int64).view(1, array.Length));     // [1, n, H]
    }
}
