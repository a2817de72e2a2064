using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Inference;

/// <summary>
/// Think-then-speak decoding replayed on a sequence, thinking once every M tokens with the thought forced to the one
/// the parallel training pass sampled at that position, gives training's talk-step numbers: the token s after the
/// thought's origin t is predicted by TalkLogits[s] at t, mixed with the base state at t + s, with weight
/// MixingWeights[s] at t. Named for: the branch reading the spoken tokens at the wrong positions, mixing a talk step
/// with the thought origin's base state instead of the current one's, or a branch that sees later text.
/// </summary>
public sealed class ThinkThenSpeakParityTests
{
    private const int Vocabulary = 96; // TinyModels' base vocabulary
    private const int Thoughts = 3;
    private const int Talk = 3;
    private const int Length = 12;

    [Theory]
    [InlineData(ThoughtAttention.Diagonal, MixingSpace.Logits)]
    [InlineData(ThoughtAttention.Masked, MixingSpace.Logits)]
    [InlineData(ThoughtAttention.Diagonal, MixingSpace.Hidden)]
    public void Speaking_along_a_forced_thought_gives_the_training_talk_logits_and_weights(ThoughtAttention attention, MixingSpace space)
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(Options(attention, space), seed: 11, liveHead: true);
        using (torch.no_grad())
        {
            model.named_parameters().Single(p => p.name == "talk_head.output.weight").parameter.mul_(0.05); // |w| of a few units (see QuietDecodingParityTests)
        }

        var ids = TinyModels.RandomIds(2, Length, Vocabulary, seed: 12);                           // [2, L]
        var isReal = torch.arange(Length).unsqueeze(0) < torch.tensor(new long[] { Length, 9 }).unsqueeze(1); // row 1 has 9 real tokens
        ObjectiveResult parallel;
        using (torch.no_grad())
        {
            parallel = new QuietStarObjective(model).Compute(ids, isReal, new Generator(13));
        }

        int[][] sequences = [Sequence(ids, 0), Sequence(ids, 1)[..9]];
        int[] prompts = [2, 1];
        var replay = Replay(model, sequences, prompts, parallel.Rollout.ThoughtIds);

        int compared = 0;
        foreach (var ((row, origin, s), quiet) in replay)
        {
            if (origin + s + 1 >= sequences[row].Length)
            {
                continue; // predicts past the sequence: training scores nothing there
            }

            float[] expected = parallel.TalkLogits[s][row, origin].narrow(0, 0, Vocabulary).data<float>().ToArray();
            quiet.Logits.Zip(expected, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(1e-4f, $"talk step {s} of the thought at row {row}, position {origin}");
            quiet.Weight.Should().BeApproximately(parallel.MixingWeights[s][row, origin, 0].item<float>(), 1e-4f, $"w of talk step {s} at row {row}, position {origin}");
            compared++;
        }

        compared.Should().BeGreaterThan(12, "every talk step of several thoughts per row is compared");
        replay.Keys.Select(k => k.TalkStep).Distinct().Should().BeEquivalentTo(Enumerable.Range(0, Talk), "each thought speaks M tokens");
    }

    private static QuietStarOptions Options(ThoughtAttention attention, MixingSpace space) => new()
    {
        ThoughtTokens = Thoughts,
        TalkTokens = Talk,
        Passes = 1,
        MeanBaseline = false,
        IncludePolicyLoss = false,
        Attention = attention,
        MixingSpace = space,
        Decoding = ThoughtDecoding.ThinkThenSpeak,
    };

    private static int[] Sequence(Tensor ids, int row) => ids[row].data<long>().Select(id => (int)id).ToArray();

    /// <summary>
    /// Feeds each row's prompt, then its next true token at every step, thinking every M steps with the thought forced
    /// to the parallel pass's at the thought's origin. Records, per row, origin and talk step, the mixed logits and w.
    /// </summary>
    private static Dictionary<(int Row, int Origin, int TalkStep), (float[] Logits, float Weight)> Replay(
        QuietStarModel model, int[][] sequences, int[] promptLengths, Tensor parallelThoughts)
    {
        var batch = new LeftPaddedBatch(sequences.Select((s, r) => s[..promptLengths[r]]).ToArray(), CPU);
        var replayed = new Dictionary<(int, int, int), (float[], float)>();
        int steps = sequences.Select((s, r) => s.Length - promptLengths[r]).Max();
        int[] position = new int[sequences.Length];
        int[] origin = new int[sequences.Length];

        Tensor Force(Tensor logits, int k)
        {
            if (k == 0)
            {
                Array.Copy(position, origin, position.Length); // a new thought starts after the newest token
            }

            return torch.tensor(Enumerable.Range(0, sequences.Length)
                .Select(r => origin[r] < sequences[r].Length ? parallelThoughts[r, origin[r], k].item<long>() : 0L).ToArray()); // [B]
        }

        using var step = new QuietStep(model, Thoughts, Vocabulary, batch, Force, speak: Talk);
        long[] input = batch.PromptIds;
        for (int n = 0; n < steps; n++)
        {
            for (int r = 0; r < sequences.Length; r++)
            {
                position[r] = promptLengths[r] - 1 + n;
            }

            float[][] mixed = [];
            var result = step.Run(input, logits =>
            {
                mixed = Enumerable.Range(0, sequences.Length).Select(r => logits[r].data<float>().ToArray()).ToArray();
                return new int[sequences.Length];
            }, trace: true);

            result.TalkStep.Should().Be(n % Talk);
            step.Cache.Length.Should().Be(batch.Longest + n, "the main cache holds the text fed so far and none of the thoughts");
            for (int r = 0; r < sequences.Length; r++)
            {
                if (position[r] < sequences[r].Length)
                {
                    origin[r].Should().Be(position[r] - result.TalkStep);
                    replayed[(r, origin[r], result.TalkStep)] = (mixed[r], result.Weights![r]);
                }
            }

            input = Enumerable.Range(0, sequences.Length)
                .Select(r => position[r] + 1 < sequences[r].Length ? (long)sequences[r][position[r] + 1] : 0L).ToArray();
        }

        return replayed;
    }
}
