using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
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

    /// <summary>
    /// Creates one generator per row on <paramref name="device"/>, seeded with SplitMix64 of <c>seed + r</c> so thought
    /// noise never shares a stream with the text sampler seeded with the plain seed.
    /// </summary>
    public RowGumbelSampler(int rows, ulong seed, Device device, double temperature)
    {
        generators = Enumerable.Range(0, rows).Select(r => new Generator(SplitMix64.First(seed + (ulong)r), device)).ToArray();
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
}

/// <summary>Chooses the <paramref name="index"/>-th token of every row's thought from the LM head's logits.</summary>
/// <param name="logits">Logits <c>[B, V]</c> over the model's whole vocabulary, START/END masked.</param>
/// <param name="index">Which thought token, 0 … T − 1.</param>
/// <returns>The chosen ids, int64 <c>[B]</c>.</returns>
internal delegate Tensor ThoughtTokenChoice(Tensor logits, int index);
