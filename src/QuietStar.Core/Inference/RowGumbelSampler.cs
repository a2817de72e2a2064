using QuietStar.Core.Algorithm;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Inference;

/// <summary>
/// Samples thought tokens as training does (hard Gumbel from the LM head, so at temperature 1 whatever the Gumbel
/// temperature), each row from its own generator. Row r's generator is seeded from <c>seed + r</c>, so a row's thoughts
/// do not depend on the other rows of its batch: row r of a batch thinks what its prompt thinks alone with seed + r.
/// </summary>
internal sealed class RowGumbelSampler : IDisposable
{
    private readonly Generator[] generators;
    private readonly double temperature;

    /// <summary>Creates one generator per row on <paramref name="device"/>.</summary>
    public RowGumbelSampler(int rows, ulong seed, Device device, double temperature)
    {
        generators = Enumerable.Range(0, rows).Select(r => new Generator(RowSeed(seed + (ulong)r), device)).ToArray();
        this.temperature = temperature;
    }

    /// <summary>One thought token per row of <paramref name="logits"/> <c>[B, V]</c>; int64 <c>[B]</c>. Matches <see cref="ThoughtTokenChoice"/>.</summary>
    public Tensor Choose(Tensor logits, int index)
    {
        var noise = torch.cat(generators.Select((g, r) => GumbelSampler.Noise(logits.narrow(0, r, 1), g)).ToArray(), dim: 0); // [B, V]
        return GumbelSampler.Sample(logits, noise, temperature);                                                             // [B]
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var generator in generators)
        {
            generator.Dispose();
        }
    }

    /// <summary>SplitMix64 of the seed, so thought noise never shares a stream with the text sampler seeded with the plain seed.</summary>
    private static ulong RowSeed(ulong seed)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
