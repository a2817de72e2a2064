using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Oracle;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training.Recipe;

/// <summary>
/// The options beyond the reference are off in <see cref="QuietStarOptions.Reference"/>, and the reference preset computes the
/// oracle's objective (the golden float bits recorded on one CPU that this class used to compare against are gone).
/// </summary>
[Trait("Category", "Invariant")]
public sealed class ReferencePresetTests
{
    [Fact]
    public void Reference_preset_has_every_recipe_option_off()
    {
        var options = QuietStarOptions.Reference;

        options.NormalizeAdvantages.Should().BeFalse();
        options.ThoughtEntropyWeight.Should().Be(0);
        options.ThoughtKlWeight.Should().Be(0);
        options.PolicyWeightWarmupSteps.Should().Be(0);
        new TrainingOptions().PlainLanguageModelSteps.Should().Be(0);
        PolicyWeightSchedule.At(options, step: 0).Should().Be(1e6, "without a warm-up the first step has the full weight");
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(500)]
    public void Reference_loss_and_every_gradient_equal_the_oracle_at_any_step(int? step)
    {
        // Machine-independent: against the sequential oracle rather than float bits recorded on one CPU.
        using var scope = torch.NewDisposeScope();
        var options = QuietStarOptions.Reference;
        using var model = ObjectiveOracleTests.CreateModel(options, seed: 12);
        var (ids, isReal) = ObjectiveOracleTests.Batch(seed: 13);

        var result = new QuietStarObjective(model).Compute(ids, isReal, new Generator(14), step);
        result.PolicyWeight.Should().Be(1e6);
        result.Regularization.Entropy.requires_grad.Should().BeFalse("with both weights 0 the terms are metrics only");
        result.Loss.backward();
        var gradients = ObjectiveOracleTests.Gradients(model);
        model.zero_grad();
        var oracle = ObjectiveOracle.Compute(model, options, ObjectiveOracleTests.ToArray(ids), ObjectiveOracleTests.Real,
            ObjectiveOracleTests.ToArray3(result.Rollout.ThoughtIds), policyWeight: 1e6);
        oracle.Loss.backward();

        ObjectiveOracleTests.Relative(result.Loss.item<double>(), oracle.Loss.item<double>()).Should().BeLessThan(1e-10);
        foreach (var (name, parameter) in model.named_parameters())
        {
            ObjectiveOracleTests.RelativeMax(gradients[name], parameter.grad!).Should().BeLessThan(1e-10, $"∂L/∂{name}");
        }
    }
}
