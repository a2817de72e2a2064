using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Inference;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Inference;

public sealed class RowGumbelSamplerTests
{
    /// <summary>
    /// Drawing a thought's T noise rows in one call per row chooses what T per-token draws chose (the sampler before it
    /// batched its draws: <see cref="GumbelSampler.Noise"/> per row, then <see cref="GumbelSampler.Sample"/>), over two thoughts.
    /// </summary>
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    public void A_thoughts_noise_drawn_at_once_chooses_what_per_token_draws_chose(double temperature)
    {
        using var scope = torch.NewDisposeScope();
        const int rows = 3, thoughtTokens = 5, vocabulary = 40;
        const ulong seed = 1234;
        using var sampler = new RowGumbelSampler(rows, seed, CPU, temperature, thoughtTokens);
        var reference = Enumerable.Range(0, rows).Select(r => new Generator(SplitMix64.First(seed + (ulong)r))).ToArray();
        var logits = torch.randn([2, thoughtTokens, rows, vocabulary], generator: new Generator(5)) * 0.1; // nearly flat: the noise decides

        for (int thought = 0; thought < 2; thought++)
        {
            for (int k = 0; k < thoughtTokens; k++)
            {
                var l = logits[thought, k];                                                                               // [B, V]
                var noise = torch.cat(reference.Select((g, r) => GumbelSampler.Noise(l.narrow(0, r, 1), g)).ToArray(), dim: 0); // [B, V]
                var expected = GumbelSampler.Sample(l, noise, temperature).data<long>().ToArray();
                sampler.Choose(l, k).data<long>().ToArray().Should().Equal(expected, $"thought {thought}, token {k}");
            }
        }
    }
}
