using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tests.Oracle;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training.Recipe;

/// <summary>
/// At policy weight 0 (the CLI's <c>small</c> recipe, and the first steps of a policy warm-up) the REINFORCE term is
/// left out of the loss and the thought log-probabilities keep no autograd history; nothing else changes.
/// </summary>
public sealed class PolicyWeightZeroTests
{
    private static QuietStarOptions Options(double policyWeight, int warmup = 0) => new()
    {
        ThoughtTokens = 3,
        TalkTokens = 2,
        Passes = 2,
        PolicyLossWeight = policyWeight,
        NormalizeAdvantages = true,
        PolicyWeightWarmupSteps = warmup,
    };

    [Theory]
    [InlineData(0.0, 0, null, false)]
    [InlineData(1.0, 0, null, true)]
    [InlineData(1.0, 10, 0, false)]
    [InlineData(1.0, 10, 1, true)]
    public void Thought_log_probabilities_track_gradients_only_when_the_policy_term_trains(double weight, int warmup, int? step, bool tracked)
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(Options(weight, warmup), seed: 4, liveHead: true);

        var result = new QuietStarObjective(model).Compute(TinyModels.RandomIds(2, 10, 96, seed: 5), null, new Generator(6), step);

        result.Rollout.ThoughtLogProbs.requires_grad.Should().Be(tracked);
        result.Policy.PolicyLoss.item<float>().Should().NotBe(0f, "the term is still computed, as a metric");
    }

    [Theory]
    [InlineData(0.0, 0, null)]
    [InlineData(1.0, 10, 0)]
    public void At_weight_zero_the_loss_and_every_gradient_are_the_oracles_language_modelling_loss_and_do_not_depend_on_tracking(double weight, int warmup, int? step)
    {
        using var scope = torch.NewDisposeScope();
        var options = ObjectiveOracleTests.Options(ThoughtAttention.Diagonal, MixingSpace.Logits, normalize: true) with
        {
            PolicyLossWeight = weight,
            PolicyWeightWarmupSteps = warmup,
        };
        using var model = ObjectiveOracleTests.CreateModel(options, seed: 4);
        var (ids, isReal) = ObjectiveOracleTests.Batch(seed: 5);

        var now = new QuietStarObjective(model).Compute(ids, isReal, new Generator(6), step);
        now.PolicyWeight.Should().Be(0);
        now.Loss.backward();
        var gradients = ObjectiveOracleTests.Gradients(model);
        model.zero_grad();

        // Against an independent statement of the objective: the oracle's L_NLL with the same thoughts, no policy term.
        var oracle = ObjectiveOracle.Compute(model, options, ObjectiveOracleTests.ToArray(ids), ObjectiveOracleTests.Real,
            ObjectiveOracleTests.ToArray3(now.Rollout.ThoughtIds), policyWeight: 0);
        oracle.Loss.backward();
        ObjectiveOracleTests.Relative(now.Loss.item<double>(), oracle.Loss.item<double>()).Should().BeLessThan(1e-10);
        Math.Abs(oracle.PolicyLoss).Should().BeGreaterThan(1e-3, "the policy term is non-zero, it just does not enter");
        foreach (var (name, parameter) in model.named_parameters())
        {
            ObjectiveOracleTests.RelativeMax(gradients[name], parameter.grad!).Should().BeLessThan(1e-10, $"∂L/∂{name} against the oracle");
        }

        // And leaving the term out changes nothing against computing it with its history and multiplying it by 0.
        model.zero_grad();
        var before = new QuietStarObjective(model, new TrackingThoughtGenerator()).Compute(ids, isReal, new Generator(6), step);
        before.Rollout.ThoughtLogProbs.requires_grad.Should().BeTrue();
        (before.Loss + (before.Policy.PolicyLoss * 0.0)).backward();
        now.Loss.item<double>().Should().Be(before.Loss.item<double>());
        now.Loss.item<double>().Should().Be(now.LanguageModeling.Loss.item<double>(), "the total is the language-modelling loss");
        foreach (var (name, parameter) in model.named_parameters())
        {
            TinyQuietStar.MaxAbsDiff(gradients[name], parameter.grad!).Should().Be(0f, $"∂L/∂{name} is unchanged");
        }
    }

    /// <summary>Keeps the log-probabilities' history whatever the objective asks, as a generator that ignores the flag does.</summary>
    private sealed class TrackingThoughtGenerator : IThoughtGenerator
    {
        private readonly ParallelThoughtGenerator inner = new();

        public ThoughtRollout Generate(ThoughtRequest request) => inner.Generate(request.WithLogProbGradients(true));
    }
}
