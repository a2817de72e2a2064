using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>
/// Grouped-query self-attention with rotary positions. Query head <c>h</c> uses key/value head <c>h / (nH / nKV)</c>,
/// as Hugging Face's <c>repeat_kv</c> does. The attention pattern comes from an <see cref="AttentionSpec"/>.
/// </summary>
public sealed class SelfAttention : nn.Module
{
    private readonly int numHeads;
    private readonly int numKvHeads;
    private readonly int headDim;
    private readonly double scale;

    [ComponentName(Name = "q_proj")]
    private readonly Linear q;

    [ComponentName(Name = "k_proj")]
    private readonly Linear k;

    [ComponentName(Name = "v_proj")]
    private readonly Linear v;

    [ComponentName(Name = "o_proj")]
    private readonly Linear o;

    /// <summary>Creates the attention block for the given configuration.</summary>
    public SelfAttention(TransformerConfig config, Device device, ScalarType dtype) : base(nameof(SelfAttention))
    {
        numHeads = config.NumAttentionHeads;
        numKvHeads = config.NumKeyValueHeads;
        headDim = config.EffectiveHeadDim;
        scale = 1.0 / Math.Sqrt(headDim);
        int h = config.HiddenSize;
        q = nn.Linear(h, numHeads * headDim, hasBias: config.AttentionBias, device: device, dtype: dtype);
        k = nn.Linear(h, numKvHeads * headDim, hasBias: config.AttentionBias, device: device, dtype: dtype);
        v = nn.Linear(h, numKvHeads * headDim, hasBias: config.AttentionBias, device: device, dtype: dtype);
        o = nn.Linear(numHeads * headDim, h, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Runs attention for new tokens <paramref name="x"/> <c>[B, L, H]</c>; returns <c>[B, L, H]</c>.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionSpec spec, KeyValueCache? cache, int layer)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], l = x.shape[1];
        var query = RotaryEmbedding.Apply(q.forward(x).view(b, l, numHeads, headDim).transpose(1, 2), cos, sin);  // [B, nH, L, D]
        var key = RotaryEmbedding.Apply(k.forward(x).view(b, l, numKvHeads, headDim).transpose(1, 2), cos, sin);  // [B, nKV, L, D]
        var value = v.forward(x).view(b, l, numKvHeads, headDim).transpose(1, 2);                                // [B, nKV, L, D]

        var attended = spec.Kind == AttentionKind.Branches
            ? BranchAttention(query, key, value, spec, cache ?? throw new ArgumentException("Branch attention needs a KV cache.", nameof(cache)), layer)
            : SequentialAttention(query, key, value, spec, cache, layer);                                       // [B, nH, L, D]

        var merged = attended.transpose(1, 2).reshape(b, l, numHeads * headDim);                               // [B, L, nH*D]
        return o.forward(merged).MoveToOuterDisposeScope();                                                     // [B, L, H]
    }

    private Tensor SequentialAttention(Tensor query, Tensor key, Tensor value, AttentionSpec spec, KeyValueCache? cache, int layer)
    {
        var (keys, values) = cache is null ? (key, value) : cache.AppendSequential(layer, key, value); // [B, nKV, S, D]
        long l = query.shape[2], s = keys.shape[2];
        var kExp = ExpandKv(keys);                                                                      // [B, nH, S, D]
        var vExp = ExpandKv(values);
        if (spec.Kind == AttentionKind.Causal && spec.Mask is null && s == l)
        {
            return nn.functional.scaled_dot_product_attention(query, kExp, vExp, is_casual: true);
        }

        var mask = spec.Kind == AttentionKind.ExplicitMask ? CheckMask(spec.Mask!, l, s) : CausalMask(spec.Mask, l, s, query.device);
        return nn.functional.scaled_dot_product_attention(query, kExp, vExp, attn_mask: mask);
    }

    private Tensor BranchAttention(Tensor query, Tensor key, Tensor value, AttentionSpec spec, KeyValueCache cache, int layer)
    {
        var (prefixKeys, prefixValues, branches) = cache.AppendBranch(layer, key, value);
        long b = query.shape[0], l = query.shape[2], sp = prefixKeys.shape[2];
        int groups = numHeads / numKvHeads, n = branches.Count;
        var prefixMask = CheckMask(spec.Mask!, l, sp);                                                      // [B|1, 1, L, Sp]
        if (key.shape[2] != l || prefixKeys.shape[0] != b)
        {
            throw new ArgumentException("Branch attention expects one new token per prefix position of the same batch.");
        }

        // Prefix part: ordinary scores against the cached sequential keys. Expanding the (small) keys and values to
        // every head keeps the [B, nH, L, Sp] probabilities a view, so autograd saves no extra copy of them.
        var prefixScores = torch.matmul(query, ExpandKv(prefixKeys).transpose(-1, -2)).mul_(scale);         // [B, nH, L, Sp]
        prefixScores.masked_fill_(prefixMask.logical_not(), double.NegativeInfinity);

        // Branch part: query t against the key at position t of each branch block (its own thought tokens).
        var branchKeys = torch.stack(branches.Select(bk => bk.Key), dim: 3);                                // [B, nKV, L, n, D]
        var branchValues = torch.stack(branches.Select(bk => bk.Value), dim: 3);                            // [B, nKV, L, n, D]
        var q5 = query.view(b, numKvHeads, groups, l, 1, headDim);                                          // [B, nKV, g, L, 1, D]
        var branchScores = (q5 * branchKeys.unsqueeze(2)).sum(-1).view(b, numHeads, l, n) * scale;        // [B, nH, L, n]

        var probs = torch.cat([prefixScores, branchScores], dim: -1)
            .softmax(-1, Precision.AtLeastFloat32(query.dtype)).to_type(query.dtype);                       // [B, nH, L, Sp+n]
        var fromPrefix = torch.matmul(probs.narrow(-1, 0, sp), ExpandKv(prefixValues));                     // [B, nH, L, D]
        var branchProbs = probs.narrow(-1, sp, n).reshape(b, numKvHeads, groups, l, n, 1);                  // [B, nKV, g, L, n, 1]
        var fromBranches = (branchProbs * branchValues.unsqueeze(2)).sum(-2).view(b, numHeads, l, headDim); // [B, nH, L, D]
        return fromPrefix + fromBranches;
    }

    private Tensor ExpandKv(Tensor kv) =>
        numHeads == numKvHeads ? kv : kv.repeat_interleave(numHeads / numKvHeads, dim: 1);

    /// <summary>Causal mask <c>[B|1, 1, L, S]</c> for L new queries after S − L cached keys, optionally with key padding.</summary>
    private static Tensor CausalMask(Tensor? keyIsReal, long l, long s, Device device)
    {
        var rows = torch.arange(s - l, s, dtype: ScalarType.Int64, device: device).unsqueeze(1); // [L, 1] absolute query index
        var cols = torch.arange(0, s, dtype: ScalarType.Int64, device: device).unsqueeze(0);     // [1, S]
        var allowed = cols <= rows;                                                              // [L, S]
        if (keyIsReal is null)
        {
            return allowed.unsqueeze(0).unsqueeze(0);
        }

        if (keyIsReal.shape[1] != s)
        {
            throw new ArgumentException($"Key padding mask covers {keyIsReal.shape[1]} keys but attention sees {s} (cached + new).");
        }

        // A query always sees itself, so a padded query row is never fully masked (its output is ignored anyway).
        var self = cols == rows;
        return ((allowed.unsqueeze(0) & keyIsReal.unsqueeze(1)) | self.unsqueeze(0)).unsqueeze(1);  // [B, 1, L, S]
    }

    private static Tensor CheckMask(Tensor mask, long l, long s)
    {
        if (mask.shape[^2] != l || mask.shape[^1] != s || mask.shape[1] != 1)
        {
            throw new ArgumentException(
                $"Attention mask has shape [{string.Join(", ", mask.shape)}] but this call needs [B|1, 1, {l}, {s}] (queries × keys).");
        }

        return mask;
    }
}
