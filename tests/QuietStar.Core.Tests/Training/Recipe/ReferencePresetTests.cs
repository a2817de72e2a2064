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
    // Recorded with the objective of commit 93b1dbb (before the recipe options): float64 tiny model, live mixing head,
    // on an AMD AVX2 machine. The last bits depend on the CPU's BLAS kernels (an Intel AVX-512 machine gives a loss 2 ulp
    // away), so the values are compared to 1e-12 relative: ~10⁴ ulp of slack, while any change to the computation moves
    // a loss of this size by far more.
    private const double ReferenceLoss = 60367695.678379156;
    private const double ReferenceStartGradient = 848728691.6087996;     // Σ|∂L/∂start_embedding|
    private const double RelativeTolerance = 1e-12;

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
    public void Reference_loss_and_gradient_are_what_they_were_before_the_recipe_options(int? step)
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(QuietStarOptions.Reference, seed: 12, liveHead: true, dtype: ScalarType.Float64);
        var ids = TinyModels.RandomIds(2, 12, 96, seed: 13);

        var result = new QuietStarObjective(model).Compute(ids, null, new Generator(14), step);
        result.Loss.backward();

        var startGradient = model.named_parameters().Single(p => p.name == "thought_embeddings.start_embedding").parameter.grad!;
        result.Loss.item<double>().Should().BeApproximately(ReferenceLoss, ReferenceLoss * RelativeTolerance);
        startGradient.abs().sum().item<double>().Should().BeApproximately(ReferenceStartGradient, ReferenceStartGradient * RelativeTolerance);
        result.Regularization.Entropy.requires_grad.Should().BeFalse("with both weights 0 the terms are metrics only");
    }
}
