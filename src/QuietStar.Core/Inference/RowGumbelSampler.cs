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
    private readonly int thoughtTokens;
    private Tensor? noise; // [B, T, V]: the current thought's noise, drawn at its first token
    private int first;     // the thought token whose noise is noise[:, 0]
    private int drawn;     // noise rows drawn per row

    /// <summary>
    /// Creates one generator per row on <paramref name="device"/>, seeded with SplitMix64 of <c>seed + r</c> so thought
    /// noise never shares a stream with the text sampler seeded with the plain seed.
    /// </summary>
    /// <param name="rows">Rows of the batch, B.</param>
    /// <param name="seed">The decoding seed.</param>
    /// <param name="device">Where the generators and the noise live.</param>
    /// <param name="temperature">The Gumbel temperature.</param>
    /// <param name="thoughtTokens">Tokens per thought, T: a thought's noise is drawn in one call per row at its first token.</param>
    public RowGumbelSampler(int rows, ulong seed, Device device, double temperature, int thoughtTokens = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(thoughtTokens, 1);
        generators = Enumerable.Range(0, rows).Select(r => new Generator(SplitMix64.First(seed + (ulong)r), device)).ToArray();
        this.temperature = temperature;
        this.thoughtTokens = thoughtTokens;
    }

    /// <summary>
    /// One thought token per row of <paramref name="logits"/> <c>[B, V]</c>; int64 <c>[B]</c>. Matches <see cref="ThoughtTokenChoice"/>.
    /// At <paramref name="index"/> 0 each row draws the noise of all T tokens <c>[T, V]</c> at once: libtorch's CPU
    /// exponential sampler draws element by element in order, so this is the same noise as T draws of <c>[1, V]</c> (tested).
    /// Chooses argmax((logits + noise) / τ) as <see cref="GumbelSampler.Sample"/> does (dividing by τ = 1 changes nothing).
    /// </summary>
    public Tensor Choose(Tensor logits, int index)
    {
        if (index == 0 || noise is null || index - first >= drawn)
        {
            noise?.Dispose();
            drawn = index == 0 ? thoughtTokens : 1;
            first = index;
            using var scope = torch.NewDisposeScope();
            long vocabulary = logits.shape[^1];
            noise = torch.stack(generators.Select(g => torch.empty(new long[] { drawn, vocabulary }, dtype: ScalarType.Float32, device: logits.device)
                .exponential_(1.0, g).log_().neg_()).ToArray(), dim: 0).DetachFromDisposeScope(); // [B, T, V]: −log of Exp(1) draws
        }

        var perturbed = (logits.dtype == ScalarType.Float32 ? logits : logits.to_type(ScalarType.Float32)) + noise.select(1, index - first); // [B, V]
        if (temperature == 1.0)
        {
            return perturbed.argmax(-1);                                                                                          // [B]
        }

        using var tau = temperature.ToScalar();                                                                                   // held through the call (docs/build.md)
        return (perturbed / tau).argmax(-1);                                                                                      // [B]
    }

    /// <inheritdoc />
    public void Dispose()
    {
        noise?.Dispose();
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
