using FluentAssertions;
using QuietStar.Core.Configuration;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Thinking;
using QuietStar.Core.Training;
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

    [Fact]
    public void At_weight_zero_the_loss_and_every_gradient_equal_the_language_modelling_loss_plus_zero_times_the_policy_term()
    {
        using var scope = torch.NewDisposeScope();
        var options = Options(0.0);
        using var model = TinyQuietStar.Create(options, seed: 4, liveHead: true, dtype: ScalarType.Float64);
        var ids = TinyModels.RandomIds(2, 12, 96, seed: 5);

        var now = new QuietStarObjective(model).Compute(ids, null, new Generator(6));
        now.Loss.backward();
        var gradients = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        model.zero_grad();

        // As before: log-probabilities with their history, and L + 0 · L_PG.
        var before = new QuietStarObjective(model, new TrackingThoughtGenerator()).Compute(ids, null, new Generator(6));
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

        public ThoughtRollout Generate(ThoughtRequest request) => inner.Generate(request with { LogProbGradients = true });
    }
}
