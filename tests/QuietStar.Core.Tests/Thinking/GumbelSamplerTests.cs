using FluentAssertions;
using QuietStar.Core.Thinking;
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
        var logits = torch.randn(8, 10, generator: new Generator(5)).requires_grad_();
        var sample = GumbelSampler.Sample(logits, GumbelSampler.Noise(logits, new Generator(6)), 1.0);
        sample.requires_grad.Should().BeFalse();
        sample.dtype.Should().Be(ScalarType.Int64);

        // A loss that depends on the logits only through the sample has no path back to them.
        var picked = nn.functional.one_hot(sample, 10).to_type(ScalarType.Float32);
        picked.requires_grad.Should().BeFalse();
        var loss = (picked * logits.detach()).sum() + logits.sum() * 0;
        loss.backward();
        logits.grad!.abs().max().item<float>().Should().Be(0f);
    }
}
