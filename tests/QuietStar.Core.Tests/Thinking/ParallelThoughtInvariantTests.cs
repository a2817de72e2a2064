using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Thinking;

[Trait("Category", "Invariant")]
public sealed class ParallelThoughtInvariantTests
{
    private const int Length = 7;

    [Theory]
    [InlineData(ThoughtAttention.Diagonal)]
    [InlineData(ThoughtAttention.Masked)]
    public void Parallel_thoughts_equal_sequential_recomputation(ThoughtAttention attention)
    {
        // Float64, two passes with the mean baseline, and a right-padded row: every real position of every row.
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions(attention);
        using var model = TinyQuietStar.Create(options, seed: 2, liveHead: true, dtype: ScalarType.Float64);
        var lm = model.LanguageModel;
        var ids = TinyModels.RandomIds(2, Length, 96, seed: 3);
        var isReal = Padded();
        using var noGrad = torch.no_grad();
        var result = new QuietStarObjective(model).Compute(ids, isReal, new Generator(9));
        var thoughts = result.Rollout.ThoughtIds;                                      // [R, L, T]
        int t3 = options.ThoughtTokens, passes = options.Passes;
        thoughts[0].equal(thoughts[1]).all().item<bool>().Should().BeFalse("the two passes sample their own thoughts");
        int compared = 0;

        for (int row = 0; row < 2 * passes; row++)
        {
            int sequence = row / passes;
            for (int t = 0; t < Length && isReal[sequence, t].item<bool>(); t++)
            {
                var prefix = lm.Embed(ids[sequence..(sequence + 1), ..(t + 1)]);      // [1, t+1, H]
                var steps = new List<Tensor> { prefix, Row(model.ThoughtEmbeddings.Start) };
                for (int k = 1; k <= t3; k++)
                {
                    // Step k sees [x≤t, START, c1..c(k−1)] at positions 0..t+k.
                    var expected = LastLogits(lm, steps);
                    var actual = lm.ComputeLogits(result.Rollout.ThoughtHidden[k - 1][row, t]);
                    Close(actual, expected).Should().BeTrue($"thought step {k} at row {row}, t={t}");
                    steps.Add(lm.Embed(thoughts[row..(row + 1), t, (k - 1)..k]));
                }

                steps.Add(Row(model.ThoughtEmbeddings.End));
                for (int s = 0; s < options.TalkTokens && t + s < Length; s++)
                {
                    if (s > 0)
                    {
                        steps.Add(lm.Embed(ids[sequence..(sequence + 1), (t + s)..(t + s + 1)]));
                    }

                    // Talk step s sees [x≤t, START, c, END, x(t+1..t+s)].
                    var expected = LastLogits(lm, steps);
                    var actual = lm.ComputeLogits(result.Rollout.TalkHidden[s][row, t]);
                    Close(actual, expected).Should().BeTrue($"talk step {s} at row {row}, t={t}");
                    compared++;
                }
            }
        }

        compared.Should().Be(2 * ((2 * Length) - 1 + (2 * 4)), "every real position of both passes of both sequences, M = 2 talk steps where they fit");
    }

    [Fact]
    public void Diagonal_attention_equals_masked_attention_in_outputs_and_gradients()
    {
        // Float64 so that the comparison measures the two strategies' math, not fp32 summation order; padding and two passes.
        using var scope = torch.NewDisposeScope();
        var ids = TinyModels.RandomIds(2, Length, 96, seed: 4);
        var (lossD, gradsD) = TinyQuietStar.LossAndGradients(ThoughtAttention.Diagonal, ids, Padded(), ScalarType.Float64);
        var (lossM, gradsM) = TinyQuietStar.LossAndGradients(ThoughtAttention.Masked, ids, Padded(), ScalarType.Float64);

        Math.Abs(lossD - lossM).Should().BeLessThan(1e-12 * Math.Abs(lossM));
        gradsD.Keys.Should().BeEquivalentTo(gradsM.Keys);
        gradsD.Should().ContainKey("thought_embeddings.start_embedding");
        foreach (var (name, g) in gradsD)
        {
            (g - gradsM[name]).abs().max().item<double>().Should().BeLessThan(1e-12 * Math.Max(TinyQuietStar.MaxAbs(gradsM[name]), 1e-300), name);
        }

        TinyQuietStar.MaxAbs(gradsD["thought_embeddings.start_embedding"]).Should().BeGreaterThan(0);
        TinyQuietStar.MaxAbs(gradsD["thought_embeddings.end_embedding"]).Should().BeGreaterThan(0);
    }

    [Theory]
    [InlineData(ThoughtAttention.Diagonal)]
    [InlineData(ThoughtAttention.Masked)]
    public void Schedule_feeds_start_once_end_once_and_t_sampled_tokens_at_positions_t_plus_k(ThoughtAttention attention)
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions(attention);
        using var model = TinyQuietStar.Create(options, seed: 5);
        var lm = model.LanguageModel;
        using (torch.no_grad())
        {
            // START and END both start from the "---" embedding (as in the reference): make them distinguishable.
            model.ThoughtEmbeddings.named_parameters().Single(p => p.name == "end_embedding").parameter.mul_(-1);
        }

        var calls = new List<(Tensor? Embeddings, Tensor Positions, AttentionKind Kind, int CacheLength, int Branches)>();
        lm.Feeding += input => calls.Add((input.InputEmbeddings?.detach().clone(), (input.PositionIds ?? torch.zeros(1)).clone(), input.Attention.Kind,
            input.Cache?.Length ?? 0, input.Cache?.BranchCount ?? 0));

        using var noGrad = torch.no_grad();
        var result = new QuietStarObjective(model).Compute(TinyModels.RandomIds(1, Length, 96, 6), null, new Generator(3));

        calls.Should().HaveCount(options.ForwardPasses);                  // N + M − 1 = T + M + 2
        var start = model.ThoughtEmbeddings.Start;
        var end = model.ThoughtEmbeddings.End;
        int StartCount() => calls.Count(c => c.Embeddings is { } e && e.allclose(start.expand_as(e), 0, 0));
        int EndCount() => calls.Count(c => c.Embeddings is { } e && e.allclose(end.expand_as(e), 0, 0));
        StartCount().Should().Be(1);
        EndCount().Should().Be(1);
        calls[1].Embeddings!.allclose(start.expand_as(calls[1].Embeddings!), 0, 0).Should().BeTrue("START is fed at step 1");
        calls[options.ThoughtTokens + 2].Embeddings!.allclose(end.expand_as(calls[1].Embeddings!), 0, 0).Should().BeTrue("END is fed at step N−1 = T+2");
        result.Rollout.ThoughtIds.shape[^1].Should().Be(options.ThoughtTokens);

        for (int k = 0; k < calls.Count; k++)
        {
            var expectedPositions = torch.arange(Length, dtype: ScalarType.Int64) + k;
            calls[k].Positions[0].equal(expectedPositions).all().item<bool>().Should().BeTrue($"step {k} uses positions t+{k}");
            if (attention == ThoughtAttention.Masked)
            {
                calls[k].CacheLength.Should().Be(k * Length, "the masked strategy concatenates keys: (k+1)·L after step k");
            }
            else
            {
                calls[k].Branches.Should().Be(Math.Max(0, k - 1), "the diagonal strategy keeps one branch block per thought step");
                calls[k].Kind.Should().Be(k == 0 ? AttentionKind.Causal : AttentionKind.Branches);
            }
        }
    }

    [Fact]
    public void Thought_tokens_are_never_sampled_even_when_they_dominate_the_logits()
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions();
        using var model = TinyQuietStar.Create(options, seed: 7);
        using (torch.no_grad())
        {
            // Make START/END by far the most likely next tokens everywhere.
            model.LanguageModel.ClassifierWeight[model.StartThoughtId].copy_(model.LanguageModel.ClassifierWeight[10] * 50);
            model.LanguageModel.ClassifierWeight[model.EndThoughtId].copy_(model.LanguageModel.ClassifierWeight[10] * 50);
        }

        using var noGrad = torch.no_grad();
        var result = new QuietStarObjective(model).Compute(TinyModels.RandomIds(2, Length, 96, 8), null, new Generator(4));
        var sampled = result.Rollout.ThoughtIds;
        sampled.eq(model.StartThoughtId).any().item<bool>().Should().BeFalse();
        sampled.eq(model.EndThoughtId).any().item<bool>().Should().BeFalse();
        sampled.max().item<long>().Should().BeLessThan(model.BaseVocabularySize);
    }

    /// <summary>Row 0 real throughout, row 1 padded after 4 tokens: <c>[2, L]</c>.</summary>
    private static Tensor Padded()
    {
        var isReal = torch.ones(2, Length, dtype: ScalarType.Bool);
        isReal[1, 4..] = false;
        return isReal;
    }

    /// <summary>Equal to 1e-12 relative (float64: only summation order differs).</summary>
    private static bool Close(Tensor actual, Tensor expected) =>
        (actual - expected).abs().max().item<double>() <= 1e-12 * Math.Max(1, expected.abs().max().item<double>());

    private static Tensor Row(Tensor embedding) => embedding.view(1, 1, -1);

    private static Tensor LastLogits(CausalLanguageModel lm, List<Tensor> sequence)
    {
        var embeddings = torch.cat(sequence, dim: 1);                               // [1, n, H]
        var output = lm.Forward(new ModelInput { InputEmbeddings = embeddings });
        return output.Logits![0, -1];                                                // [V]
    }
}
