using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Inference;

/// <summary>
/// Quiet decoding replayed on a sequence, with its thoughts forced to those the parallel training pass sampled, gives
/// the training pass's numbers at every position: the thought-token log-probabilities, the mixing weight and the mixed
/// next-token logits (TalkLogits[0]), whichever thought attention the training pass uses.
/// </summary>
public sealed class QuietDecodingParityTests
{
    private const int Vocabulary = 96; // TinyModels' base vocabulary
    private const int Thoughts = 3;

    public static TheoryData<ThoughtAttention, MixingSpace> Strategies => new()
    {
        { ThoughtAttention.Diagonal, MixingSpace.Logits },
        { ThoughtAttention.Masked, MixingSpace.Logits },
        { ThoughtAttention.Diagonal, MixingSpace.Hidden },
    };

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Replaying_a_sequence_with_the_parallel_thoughts_gives_the_training_logits_weights_and_thought_log_probs(
        ThoughtAttention attention, MixingSpace space)
    {
        using var scope = torch.NewDisposeScope();
        using var model = Model(Options(attention, space), seed: 3);
        var ids = TinyModels.RandomIds(1, 12, Vocabulary, seed: 4);                                  // [1, L]
        var parallel = Parallel(model, ids, isReal: null);

        var replay = Replay(model, [Sequence(ids, 0)], [1], parallel.Rollout.ThoughtIds);

        Compare(replay, parallel, row: 0, firstPosition: 0, positions: 12);
        TinyQuietStar.MaxAbs(parallel.MixingWeights[0]).Should().BeInRange(0.1, 5, "a live head, so the thoughts matter");
    }

    [Theory]
    [InlineData(ThoughtAttention.Diagonal)]
    [InlineData(ThoughtAttention.Masked)]
    public void A_left_padded_batch_replays_each_row_as_the_right_padded_parallel_pass(ThoughtAttention attention)
    {
        using var scope = torch.NewDisposeScope();
        using var model = Model(Options(attention, MixingSpace.Logits), seed: 5);
        var ids = TinyModels.RandomIds(2, 12, Vocabulary, seed: 6);                                  // [2, L]
        var isReal = torch.arange(12).unsqueeze(0) < torch.tensor(new long[] { 12, 7 }).unsqueeze(1); // row 1 has 7 real tokens
        var parallel = Parallel(model, ids, isReal);

        // Row 0 is prompted with 6 tokens, row 1 with 1: the prompts are left-padded and the steps' positions differ per row.
        var replay = Replay(model, [Sequence(ids, 0), Sequence(ids, 1)[..7]], [6, 1], parallel.Rollout.ThoughtIds);

        Compare(replay, parallel, row: 0, firstPosition: 5, positions: 7);
        Compare(replay, parallel, row: 1, firstPosition: 0, positions: 7);
    }

    /// <summary>
    /// A tiny model with a live head scaled so that |w| is a few units at most. The fixture's head gives |w| up to 40,
    /// which multiplies float32 rounding of the logits (~3e-6) past 1e-4 in either computation alike.
    /// </summary>
    private static QuietStarModel Model(QuietStarOptions options, long seed)
    {
        var model = TinyQuietStar.Create(options, seed, liveHead: true);
        using var noGrad = torch.no_grad();
        model.named_parameters().Single(p => p.name == "talk_head.output.weight").parameter.mul_(0.05);
        return model;
    }

    private static QuietStarOptions Options(ThoughtAttention attention, MixingSpace space) => new()
    {
        ThoughtTokens = Thoughts,
        TalkTokens = 1,
        Passes = 1,
        MeanBaseline = false,
        IncludePolicyLoss = false,
        Attention = attention,
        MixingSpace = space,
    };

    private static ObjectiveResult Parallel(QuietStarModel model, Tensor ids, Tensor? isReal)
    {
        using var noGrad = torch.no_grad();
        return new QuietStarObjective(model).Compute(ids, isReal, new Generator(7));
    }

    private static int[] Sequence(Tensor ids, int row) => ids[row].data<long>().Select(id => (int)id).ToArray();

    /// <summary>
    /// Feeds each row's prompt, then its next true token at every step, forcing the thought after the token at
    /// position t to the parallel pass's thought at t. Records, per row and position, what quiet decoding computed.
    /// </summary>
    private static Dictionary<(int Row, int Position), Replayed> Replay(QuietStarModel model, int[][] sequences, int[] promptLengths, Tensor parallelThoughts)
    {
        var batch = new LeftPaddedBatch(sequences.Select((s, r) => s[..promptLengths[r]]).ToArray(), CPU);
        var replayed = new Dictionary<(int, int), Replayed>();
        int steps = sequences.Select((s, r) => s.Length - promptLengths[r] + 1).Max();
        var logProbs = new List<float>[sequences.Length];
        int[] position = new int[sequences.Length];

        Tensor Force(Tensor logits, int k)
        {
            var forced = torch.tensor(Enumerable.Range(0, sequences.Length)
                .Select(r => position[r] < sequences[r].Length ? parallelThoughts[r, position[r], k].item<long>() : 0L).ToArray()); // [B]
            var scaled = (logits / 3.0).log_softmax(-1).gather(-1, forced.unsqueeze(-1)).squeeze(-1);                            // [B] at REINFORCE temperature
            for (int r = 0; r < sequences.Length; r++)
            {
                logProbs[r].Add(scaled[r].item<float>());
            }

            return forced;
        }

        using var step = new QuietStep(model, Thoughts, Vocabulary, batch, Force);
        long[] input = batch.PromptIds;
        for (int n = 0; n < steps; n++)
        {
            for (int r = 0; r < sequences.Length; r++)
            {
                position[r] = promptLengths[r] - 1 + n;
                logProbs[r] = [];
            }

            float[][] mixed = [];
            var result = step.Run(input, logits =>
            {
                mixed = Enumerable.Range(0, sequences.Length).Select(r => logits[r].data<float>().ToArray()).ToArray();
                return new int[sequences.Length];
            }, trace: true);

            step.Cache.Length.Should().Be(batch.Longest + n, "the cache holds the text fed so far and none of the thoughts");
            step.Cache.BranchCount.Should().Be(0);
            for (int r = 0; r < sequences.Length; r++)
            {
                if (position[r] < sequences[r].Length)
                {
                    replayed[(r, position[r])] = new Replayed(mixed[r], result.Weights![r], [.. logProbs[r]], result.ThoughtIds![r]);
                }
            }

            input = Enumerable.Range(0, sequences.Length)
                .Select(r => position[r] + 1 < sequences[r].Length ? (long)sequences[r][position[r] + 1] : 0L).ToArray();
        }

        return replayed;
    }

    private static void Compare(Dictionary<(int Row, int Position), Replayed> replay, ObjectiveResult parallel, int row, int firstPosition, int positions)
    {
        for (int t = firstPosition; t < firstPosition + positions; t++)
        {
            var quiet = replay[(row, t)];
            float[] expected = parallel.TalkLogits[0][row, t].narrow(0, 0, Vocabulary).data<float>().ToArray();
            float[] expectedLogProbs = parallel.Rollout.ThoughtLogProbs[row, t].data<float>().ToArray();
            long[] thought = parallel.Rollout.ThoughtIds[row, t].data<long>().ToArray();

            quiet.Logits.Zip(expected, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(1e-4f, $"mixed logits at row {row}, position {t}");
            quiet.Weight.Should().BeApproximately(parallel.MixingWeights[0][row, t, 0].item<float>(), 1e-4f, $"w at row {row}, position {t}");
            quiet.ThoughtLogProbs.Zip(expectedLogProbs, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(1e-4f, $"thought log-probs at row {row}, position {t}");
            quiet.ThoughtIds.Should().Equal(thought.Select(id => (int)id));
        }
    }

    private sealed record Replayed(float[] Logits, float Weight, float[] ThoughtLogProbs, int[] ThoughtIds);
}
