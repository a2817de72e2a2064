using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Inference;

/// <summary>
/// Prompts of different lengths decoded together: left-padded to the longest, with the padding masked out of
/// attention and each row's positions counted from its own first real token, so every row continues as it would alone.
/// </summary>
internal sealed class LeftPaddedBatch
{
    private readonly long[] padding;
    private readonly Device device;

    /// <summary>Pads <paramref name="prompts"/> (token ids, each non-empty) for a model on <paramref name="device"/>.</summary>
    public LeftPaddedBatch(IReadOnlyList<int[]> prompts, Device device)
    {
        this.device = device;
        Longest = prompts.Max(ids => ids.Length);
        padding = prompts.Select(ids => (long)(Longest - ids.Length)).ToArray();
        PromptIds = prompts.SelectMany(ids => Enumerable.Repeat(0L, Longest - ids.Length).Concat(ids.Select(id => (long)id))).ToArray();
    }

    /// <summary>Number of rows, B.</summary>
    public int Rows => padding.Length;

    /// <summary>Tokens of the longest prompt: every row's cache holds this many positions after the prefill.</summary>
    public int Longest { get; }

    /// <summary>The padded prompts, row-major <c>[B × Longest]</c>, 0 at padded positions.</summary>
    public long[] PromptIds { get; }

    /// <summary>
    /// The model input that appends new tokens to <paramref name="cache"/>: ids <c>[B, L]</c>, each row's positions
    /// and causal attention with the padded keys masked. Hidden states only (no logits).
    /// </summary>
    /// <param name="ids">The new tokens, row-major <c>[B × L]</c> (0 at padded positions).</param>
    /// <param name="cache">The rows' cache; the input continues after its <see cref="KeyValueCache.Length"/> positions.</param>
    public ModelInput Input(long[] ids, KeyValueCache cache)
    {
        long length = ids.Length / Rows, start = cache.Length;
        var keyIsReal = KeyIsReal(start + length);
        return new ModelInput
        {
            InputIds = torch.tensor(ids, [Rows, length], device: device),                                            // [B, L]
            PositionIds = Positions(start, length),                                                                  // [B, L]
            Attention = keyIsReal is null ? AttentionSpec.Causal() : AttentionSpec.CausalWithPadding(keyIsReal),
            Cache = cache,
            ComputeLogits = false,
        };
    }

    /// <summary>Each row's positions of <paramref name="length"/> slots after <paramref name="start"/> cached ones, <c>[B, L]</c>.</summary>
    private Tensor Positions(long start, long length)
    {
        var pad = torch.tensor(padding, device: device).unsqueeze(1);                                                // [B, 1]
        return (torch.arange(start, start + length, dtype: ScalarType.Int64, device: device).unsqueeze(0) - pad).clamp_min(0); // [B, L]
    }

    /// <summary>Boolean <c>[B, S]</c> over the first <paramref name="keys"/> cached slots, false at padding; null when no row is padded.</summary>
    public Tensor? KeyIsReal(long keys)
    {
        if (padding.All(p => p == 0))
        {
            return null;
        }

        var pad = torch.tensor(padding, device: device).unsqueeze(1);                                                // [B, 1]
        return torch.arange(0, keys, dtype: ScalarType.Int64, device: device).unsqueeze(0) >= pad;                  // [B, S]
    }
}
