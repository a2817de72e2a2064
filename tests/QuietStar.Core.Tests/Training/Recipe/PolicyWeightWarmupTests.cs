using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training.Recipe;

public sealed class PolicyWeightWarmupTests
{
    [Fact]
    public void The_policy_weight_ramps_linearly_from_zero_at_step_zero_to_full_at_step_n()
    {
        var options = new QuietStarOptions { PolicyLossWeight = 200, PolicyWeightWarmupSteps = 4 };

        var weights = Enumerable.Range(0, 7).Select(step => PolicyWeightSchedule.At(options, step));

        weights.Should().Equal(0, 50, 100, 150, 200, 200, 200);
        PolicyWeightSchedule.At(options, step: null).Should().Be(200, "evaluation uses the configured weight");
        PolicyWeightSchedule.At(options with { IncludePolicyLoss = false }, step: 4).Should().Be(0);
        options.Invoking(o => PolicyWeightSchedule.At(o, -1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void The_objective_applies_the_ramped_weight_at_the_step_it_is_given()
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions() with { PolicyLossWeight = 1000, PolicyWeightWarmupSteps = 10 };
        using var model = TinyQuietStar.Create(options, seed: 31, liveHead: true, dtype: ScalarType.Float64);
        var ids = TinyModels.RandomIds(2, 10, 96, seed: 32);
        var objective = new QuietStarObjective(model);

        var first = objective.Compute(ids, null, new Generator(33), step: 0);
        var middle = objective.Compute(ids, null, new Generator(33), step: 5);
        var evaluation = objective.Compute(ids, null, new Generator(33));

        first.PolicyWeight.Should().Be(0);
        middle.PolicyWeight.Should().Be(500);
        evaluation.PolicyWeight.Should().Be(1000);
        middle.Policy.PolicyLoss.item<double>().Should().BeGreaterThan(1e-6, "the policy term is live, so its weight matters");
        first.Loss.item<double>().Should().Be(first.LanguageModeling.Loss.item<double>());
        middle.Loss.item<double>().Should().BeApproximately(middle.LanguageModeling.Loss.item<double>() + (500 * middle.Policy.PolicyLoss.item<double>()), 1e-9);
        middle.Metrics().PolicyWeight.Should().Be(500);
    }
}
