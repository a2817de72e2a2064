using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>
/// Describes which keys each query of a forward call may attend to. The backbone knows nothing about thoughts:
/// callers such as the Quiet-STaR thought generator express their attention pattern through this type only.
/// </summary>
internal sealed class AttentionSpec
{
    private static readonly AttentionSpec PlainCausal = new(AttentionKind.Causal, null);

    private AttentionSpec(AttentionKind kind, Tensor? mask)
    {
        Kind = kind;
        Mask = mask;
    }

    /// <summary>The attention pattern.</summary>
    internal AttentionKind Kind { get; }

    /// <summary>
    /// For <see cref="AttentionKind.Causal"/>: optional key-validity mask <c>[B, S]</c> (true = real token) over all
    /// keys (cached prefix + new). For <see cref="AttentionKind.ExplicitMask"/>: the mask <c>[B|1, 1, Lq, S]</c>.
    /// For <see cref="AttentionKind.Branches"/>: the prefix mask <c>[B|1, 1, Lq, Sprefix]</c>.
    /// </summary>
    public Tensor? Mask { get; }

    /// <summary>Causal attention with no padding.</summary>
    public static AttentionSpec Causal() => PlainCausal;

    /// <summary>Causal attention that ignores padded keys.</summary>
    /// <param name="keyIsReal">Boolean <c>[B, S]</c> over every key (cached and new): true for real tokens.</param>
    public static AttentionSpec CausalWithPadding(Tensor keyIsReal)
    {
        ArgumentNullException.ThrowIfNull(keyIsReal);
        RequireBool(keyIsReal, 2, "key padding mask [B, S]");
        return new AttentionSpec(AttentionKind.Causal, keyIsReal);
    }

    /// <summary>An explicit boolean attention mask (true = may attend) over cached and new keys.</summary>
    /// <param name="mask">Boolean <c>[B|1, 1, Lq, S]</c>.</param>
    public static AttentionSpec Explicit(Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        RequireBool(mask, 4, "attention mask [B, 1, Lq, S]");
        return new AttentionSpec(AttentionKind.ExplicitMask, mask);
    }

    /// <summary>Parallel-branch attention (see <see cref="AttentionKind.Branches"/>).</summary>
    /// <param name="prefixMask">Boolean <c>[B|1, 1, Lq, Sprefix]</c> over the cache's sequential keys.</param>
    public static AttentionSpec Branches(Tensor prefixMask)
    {
        ArgumentNullException.ThrowIfNull(prefixMask);
        RequireBool(prefixMask, 4, "prefix mask [B, 1, Lq, Sprefix]");
        return new AttentionSpec(AttentionKind.Branches, prefixMask);
    }

    private static void RequireBool(Tensor t, int rank, string what)
    {
        if (t.dtype != ScalarType.Bool || t.dim() != rank)
        {
            throw new ArgumentException(
                $"Expected a boolean {what}, got {t.dtype} with shape [{string.Join(", ", t.shape)}].");
        }
    }
}
