using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Oracle;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Thinking;

[Trait("Category", "Invariant")]
public sealed class GumbelSamplerTests
{
    [Fact]
    public void Hard_sample_does_not_depend_on_the_gumbel_temperature()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.randn(64, 50, generator: new Generator(1)) * 3;      // [N, V]
        var noise = GumbelSampler.Noise(logits, new Generator(2));
        var atOne = GumbelSampler.Sample(logits, noise, 1.0);
        var atColdest = GumbelSampler.Sample(logits, noise, 0.001);
        atOne.equal(atColdest).all().item<bool>().Should().BeTrue();

        // ... while fresh noise does change the samples (the noise is really used).
        var other = GumbelSampler.Sample(logits, GumbelSampler.Noise(logits, new Generator(3)), 1.0);
        other.equal(atOne).all().item<bool>().Should().BeFalse();
    }

    [Fact]
    public void Samples_follow_softmax_at_temperature_one()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(new float[] { 0f, 1f, 2f }).expand(20000, 3);  // p = softmax([0, 1, 2])
        var samples = GumbelSampler.Sample(logits, GumbelSampler.Noise(logits, new Generator(4)), 0.001);
        var frequency = torch.bincount(samples, minlength: 3).to_type(ScalarType.Float32) / 20000;
        var expected = torch.tensor(new float[] { 0f, 1f, 2f }).softmax(0);
        (frequency - expected).abs().max().item<float>().Should().BeLessThan(0.015f);
    }

    [Fact]
    public void No_gradient_reaches_the_sample()
    {
        using var scope = torch.NewDisposeScope();

        // The sampler returns ids with no autograd history, even from logits that require a gradient.
        var logits = torch.randn(8, 10, generator: new Generator(5)).requires_grad_();
        var sample = GumbelSampler.Sample(logits, GumbelSampler.Noise(logits, new Generator(6)), 1.0);
        sample.requires_grad.Should().BeFalse();
        sample.dtype.Should().Be(ScalarType.Int64);

        // In a whole training step with the policy term off, the sampling distribution could reach the loss only through
        // the sample (a straight-through or soft sample would open that path). The gradient must equal the oracle's, which
        // feeds the same thought tokens as constant embedding rows.
        var options = ObjectiveOracleTests.Options(ThoughtAttention.Diagonal, MixingSpace.Logits, normalize: false) with { IncludePolicyLoss = false };
        using var model = ObjectiveOracleTests.CreateModel(options, seed: 61);
        var (ids, isReal) = ObjectiveOracleTests.Batch(seed: 62);
        var library = new QuietStarObjective(model).Compute(ids, isReal, new Generator(63));
        library.Loss.backward();
        var libraryGradients = ObjectiveOracleTests.Gradients(model);
        model.zero_grad();
        ObjectiveOracle.Compute(model, options, ObjectiveOracleTests.ToArray(ids), ObjectiveOracleTests.Real, ObjectiveOracleTests.ToArray3(library.Rollout.ThoughtIds), 0).Loss.backward();

        foreach (var (name, parameter) in model.named_parameters())
        {
            ObjectiveOracleTests.RelativeMax(libraryGradients[name], parameter.grad!).Should().BeLessThan(1e-10, $"∂L/∂{name}");
        }
    }
}
