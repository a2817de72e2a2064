using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training;

/// <summary>
/// REINFORCE moves the policy the right way: one small gradient step on the policy term raises the log-probability
/// of the thoughts that earned a positive advantage, weighted by it (to first order, Σ A⁺·Δlog p = lr·‖∇‖² ≥ 0). The
/// log-probabilities after the step are measured independently of the training pass, by replaying each thought
/// through quiet decoding with the thought forced. Named for: a policy loss of the wrong sign, advantages taken from
/// the wrong rows, or log-probabilities detached from the parameters.
/// </summary>
public sealed class ReinforceDirectionTests
{
    private const int Vocabulary = 96;
    private const int Length = 10;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_step_on_the_policy_term_raises_the_advantage_weighted_log_probability_of_the_sampled_thoughts(bool normalize)
    {
        using var scope = torch.NewDisposeScope();
        var options = new QuietStarOptions { ThoughtTokens = 3, TalkTokens = 2, Passes = 2, PolicyLossWeight = 1, NormalizeAdvantages = normalize };
        using var model = TinyQuietStar.Create(options, seed: 21, liveHead: true);
        var ids = TinyModels.RandomIds(2, Length, Vocabulary, seed: 22);                           // [B, L]

        var result = new QuietStarObjective(model).Compute(ids, null, new Generator(23));
        var advantage = result.Policy.TrainingAdvantage.detach();                                   // [R, L−1−M]
        var thoughts = result.Rollout.ThoughtIds;                                                  // [R, L, T]
        int scored = (int)advantage.shape[1];
        advantage.gt(0).sum().item<long>().Should().BeGreaterThan(3, "a live head gives some thoughts a positive advantage");

        double before = Weighted(advantage, Replay(model, ids, options.Passes, thoughts), scored);
        double fromTraining = Weighted(advantage, result.Rollout.ThoughtLogProbs.detach().sum(-1), scored);
        before.Should().BeApproximately(fromTraining, 1e-3 * Math.Abs(fromTraining), "the replay measures what training computed");

        model.zero_grad();
        result.Policy.PolicyLoss.backward();
        using (torch.no_grad())
        {
            // A small step of fixed length along the negative gradient, so the first-order change dominates whatever the advantages' scale.
            var parameters = model.parameters().Where(p => p.grad is not null).ToArray();
            double norm = Math.Sqrt(parameters.Sum(p => p.grad!.pow(2).sum().to_type(ScalarType.Float64).item<double>()));
            norm.Should().BeGreaterThan(0);
            foreach (var p in parameters)
            {
                p.sub_(p.grad! * (1e-3 / norm));
            }
        }

        double after = Weighted(advantage, Replay(model, ids, options.Passes, thoughts), scored);
        after.Should().BeGreaterThan(before, "descending −A⁺·log p climbs A⁺·log p");
    }

    /// <summary>Σ over rows and scored positions of A⁺(r, t) · log p(thought at (r, t)).</summary>
    private static double Weighted(Tensor advantage, Tensor logProbs, int scored) =>
        (advantage * logProbs.narrow(1, 0, scored)).sum().to_type(ScalarType.Float64).item<double>();

    /// <summary>
    /// log p (at the REINFORCE temperature 3) of each row's thought at each position <c>[R, L]</c>, summed over its
    /// tokens, computed by quiet decoding with the thought forced: row r replays sequence r / P token by token.
    /// </summary>
    private static Tensor Replay(QuietStarModel model, Tensor ids, int passes, Tensor thoughts)
    {
        int rows = (int)thoughts.shape[0], thoughtTokens = (int)thoughts.shape[2];
        var sequences = Enumerable.Range(0, rows).Select(r => ids[r / passes].data<long>().ToArray()).ToArray();
        var batch = new LeftPaddedBatch(sequences.Select(s => new[] { (int)s[0] }).ToArray(), CPU);
        var logProbs = new double[rows, Length];
        int position = 0;

        Tensor Force(Tensor logits, int k)
        {
            var forced = thoughts.select(1, position).select(1, k);                                // [R]
            var scaled = (logits / 3.0).log_softmax(-1).gather(-1, forced.unsqueeze(-1)).squeeze(-1); // [R]
            for (int r = 0; r < rows; r++)
            {
                logProbs[r, position] += scaled[r].item<float>();
            }

            return forced;
        }

        using var step = new QuietStep(model, thoughtTokens, Vocabulary, batch, Force);
        long[] input = batch.PromptIds;
        for (position = 0; position < Length; position++)
        {
            step.Run(input, logits => new int[rows], trace: false);
            int next = Math.Min(position + 1, Length - 1);
            input = sequences.Select(s => s[next]).ToArray();
        }

        return torch.tensor(logProbs).to_type(ScalarType.Float32);                                 // [R, L]
    }
}
