using FluentAssertions;
using QuietStar.Core.Configuration;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training.Recipe;

/// <summary>The options beyond the reference are off in <see cref="QuietStarOptions.Reference"/>, which computes what it did before them.</summary>
[Trait("Category", "Invariant")]
public sealed class ReferencePresetTests
{
    // Recorded with the objective of commit 93b1dbb (before the recipe options): float64 tiny model, live mixing head.
    private const long ReferenceLossBits = 4723371224815456781;          // 60367695.678379156
    private const long ReferenceStartGradientBits = 4740402860658650405; // Σ|∂L/∂start_embedding| = 848728691.6087996

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
    public void Reference_loss_and_gradient_are_bitwise_what_they_were_before_the_recipe_options(int? step)
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(QuietStarOptions.Reference, seed: 12, liveHead: true, dtype: ScalarType.Float64);
        var ids = TinyModels.RandomIds(2, 12, 96, seed: 13);

        var result = new QuietStarObjective(model).Compute(ids, null, new Generator(14), step);
        result.Loss.backward();

        var startGradient = model.named_parameters().Single(p => p.name == "thought_embeddings.start_embedding").parameter.grad!;
        BitConverter.DoubleToInt64Bits(result.Loss.item<double>()).Should().Be(ReferenceLossBits);
        BitConverter.DoubleToInt64Bits(startGradient.abs().sum().item<double>()).Should().Be(ReferenceStartGradientBits);
        result.Regularization.Entropy.requires_grad.Should().BeFalse("with both weights 0 the terms are metrics only");
    }
}
