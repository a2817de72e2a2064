using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>
/// A lean forward pass for decoding (no gradients), used for every call of a few new tokens after the prefill. It
/// computes what <see cref="CausalLanguageModel.Forward"/> computes with fewer torch calls per layer:
/// <list type="bullet">
/// <item>q/k/v and gate/up weights concatenated once per decoding run (the general path concatenates q/k/v on every call),
///   each with the gain of the RMSNorm before it folded in (<c>W·diag(g)</c>), so a layer's two norms need no gain product;</item>
/// <item>rotary's rotate-half done by the projection: the q and k rows are appended once more with each head's halves
///   swapped, so no <c>roll</c> per call; the RMSNorm statistics as one small matrix product instead of a reduction;</item>
/// <item>rotary tables looked up from a table built once per run (the general path builds them from the angles on every call);</item>
/// <item>the hidden state kept as <c>[B·L, H]</c>, each residual connection folded into its projection (<c>addmm</c>);</item>
/// <item>the attention mask built by the caller once per thought (<see cref="Mask"/>) and narrowed per call, with no
///   host sync per call; no scalar created per call (ε and 1/H live in small tensors).</item>
/// </list>
/// Keys and values go to the same <see cref="KeyValueCache"/> as the general path's. The weights are snapshotted at
/// construction: build one per decoding run, never across a weight update. The fused copies cost memory (about the
/// attention and MLP input weights once more), so above <see cref="FusedWeightBudgetBytes"/> (large models, whose calls
/// are dominated by their products anyway) the backbone reads the model's own weights with separate products instead.
/// </summary>
/// <remarks>
/// Values: the same computation up to rounding order. The rotary table's cos/sin are computed over many positions at
/// once, where libtorch's vectorised kernel may round the last bit differently from the per-call computation over a
/// handful of angles; the folded norm gains round once in the weight instead of once in the activation; a fused
/// gate/up or <c>addmm</c> may accumulate in another order. So the result equals the
/// general forward to float rounding (tested: 1e-12 in float64, where a structural slip would show as O(1); a few
/// 1e-7 in float32), and base and quiet decoding, which both use this path, stay bit-identical to each other.
/// </remarks>
internal sealed class DecodingBackbone : IDisposable
{
    private readonly CausalLanguageModel model;
    private readonly Layer[] layers;
    private readonly Tensor finalNorm;      // [H]
    private readonly Tensor cosTable;       // [P, D]: [cos θ, cos θ] per position
    private readonly Tensor signedSinTable; // [P, D]: [−sin θ, sin θ] per position
    private readonly Tensor meanColumn;     // [H, 1]: 1/H, so that x² · meanColumn is the mean of squares as one matrix product
    private readonly Tensor epsilon;        // [1]: RMSNorm's ε, added by the same product (addmm)
    private readonly int numHeads;
    private readonly int numKvHeads;
    private readonly int groups;
    private readonly int headDim;
    private readonly int hiddenSize;
    private readonly int intermediateSize;
    private readonly bool lowPrecision; // 16-bit weights: RMSNorm statistics in float32, as the general path

    /// <summary>The largest extra memory spent on fused weight copies; larger models use their own weights unfused.</summary>
    internal const long FusedWeightBudgetBytes = 256L << 20;

    /// <summary>Snapshots <paramref name="model"/>'s weights for decoding positions below <paramref name="textPositions"/> plus <paramref name="extraPositions"/>.</summary>
    /// <param name="model">The language model.</param>
    /// <param name="extraPositions">Positions beyond the text the caller may use (a thought's slots after the last text token).</param>
    /// <param name="fusedBudgetBytes">The budget for fused weight copies (tests pass 0 to run the unfused form).</param>
    /// <param name="textPositions">
    /// Text positions the run can reach (the longest prompt plus the tokens asked for); the model's context when null. The
    /// rotary table covers only these, not a long-context model's whole window on every request.
    /// </param>
    public DecodingBackbone(CausalLanguageModel model, int extraPositions, long fusedBudgetBytes = FusedWeightBudgetBytes, int? textPositions = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(extraPositions);
        this.model = model;
        var config = model.Config;
        numHeads = config.NumAttentionHeads;
        numKvHeads = config.NumKeyValueHeads;
        groups = numHeads / numKvHeads;
        headDim = config.EffectiveHeadDim;
        hiddenSize = config.HiddenSize;
        intermediateSize = config.IntermediateSize;
        lowPrecision = model.DType is ScalarType.Float16 or ScalarType.BFloat16;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var w = model.Weights();
        Tensor W(string name) => w[name];
        Tensor Keep(Tensor t) => t.detach().DetachFromDisposeScope();
        layers = new Layer[config.NumLayers];
        int elementSize = model.DType switch { ScalarType.Float64 => 8, ScalarType.Float16 or ScalarType.BFloat16 => 2, _ => 4 };
        long fusedRows = ((2L * numHeads) + (3L * numKvHeads)) * headDim + (2L * intermediateSize);
        Fused = fusedRows * hiddenSize * elementSize * config.NumLayers <= fusedBudgetBytes;
        for (int i = 0; i < layers.Length; i++)
        {
            string p = $"model.layers.{i}.";
            if (!Fused)
            {
                layers[i] = new Layer
                {
                    AttentionGain = Keep(W(p + "input_layernorm.weight")),                                                   // [H]
                    Q = Keep(W(p + "self_attn.q_proj.weight")),                                                              // [nH·D, H]
                    K = Keep(W(p + "self_attn.k_proj.weight")),                                                              // [nKV·D, H]
                    V = Keep(W(p + "self_attn.v_proj.weight")),                                                              // [nKV·D, H]
                    QBias = config.AttentionBias ? Keep(W(p + "self_attn.q_proj.bias")) : null,
                    KBias = config.AttentionBias ? Keep(W(p + "self_attn.k_proj.bias")) : null,
                    VBias = config.AttentionBias ? Keep(W(p + "self_attn.v_proj.bias")) : null,
                    OutputT = Keep(W(p + "self_attn.o_proj.weight").t()),                                                    // [nH·D, H]
                    FeedForwardGain = Keep(W(p + "post_attention_layernorm.weight")),                                        // [H]
                    Gate = Keep(W(p + "mlp.gate_proj.weight")),                                                              // [I, H]
                    Up = Keep(W(p + "mlp.up_proj.weight")),                                                                  // [I, H]
                    DownT = Keep(W(p + "mlp.down_proj.weight").t()),                                                         // [I, H]
                };
                continue;
            }

            Tensor? bias = null;
            if (config.AttentionBias)
            {
                var qkBias = torch.cat([W(p + "self_attn.q_proj.bias"), W(p + "self_attn.k_proj.bias")], dim: 0);        // [(nH+nKV)·D]
                bias = Keep(torch.cat([qkBias, W(p + "self_attn.v_proj.bias"), RotateHalfRows(qkBias.unsqueeze(-1)).squeeze(-1)], dim: 0)); // [(2nH+3nKV)·D]
            }

            var qk = torch.cat([W(p + "self_attn.q_proj.weight"), W(p + "self_attn.k_proj.weight")], dim: 0);           // [(nH+nKV)·D, H]
            var qkv = torch.cat([qk, W(p + "self_attn.v_proj.weight"), RotateHalfRows(qk)], dim: 0);                      // [(2nH+3nKV)·D, H]
            var gateUp = torch.cat([W(p + "mlp.gate_proj.weight"), W(p + "mlp.up_proj.weight")], dim: 0);                                       // [2I, H]
            layers[i] = new Layer
            {
                Qkv = Keep(qkv * W(p + "input_layernorm.weight")),                                                           // [(2nH+3nKV)·D, H]: columns times the norm gain
                QkvBias = bias,
                OutputT = Keep(W(p + "self_attn.o_proj.weight").t()),                                                        // [nH·D, H]
                GateUp = Keep(gateUp * W(p + "post_attention_layernorm.weight")),                                            // [2I, H]
                DownT = Keep(W(p + "mlp.down_proj.weight").t()),                                                             // [I, H]
            };
        }

        finalNorm = Keep(W("model.norm.weight"));
        var statistics = Precision.AtLeastFloat32(model.DType);
        meanColumn = Keep(torch.full(new long[] { hiddenSize, 1 }, 1.0 / hiddenSize, dtype: statistics, device: model.Device));
        epsilon = Keep(torch.full(new long[] { 1 }, config.RmsNormEps, dtype: statistics, device: model.Device));
        int text = Math.Min(textPositions ?? config.MaxPositionEmbeddings, config.MaxPositionEmbeddings);
        (cosTable, signedSinTable) = RotaryTables(config, text + extraPositions, model.DType, model.Device);
    }

    /// <summary>Whether the weights are fused copies (small models) or the model's own, used unfused (see <see cref="FusedWeightBudgetBytes"/>).</summary>
    public bool Fused { get; }

    /// <summary>
    /// Rotary cos and signed-sin rows for <paramref name="positions"/> <c>[B, L]</c>, each <c>[B, L, 1, D]</c> (broadcast over
    /// heads). A caller feeding a thought slot by slot looks up all its positions once and narrows along L.
    /// </summary>
    public (Tensor Cos, Tensor SignedSin) Rotary(Tensor positions)
    {
        long b = positions.shape[0], l = positions.shape[1];
        var flat = positions.reshape(-1);                                                               // [B·L]
        return (cosTable.index_select(0, flat).view(b, l, 1, headDim), signedSinTable.index_select(0, flat).view(b, l, 1, headDim)); // [B, L, 1, D] ×2
    }

    /// <summary>
    /// The additive mask the general path builds for <paramref name="spec"/> with <paramref name="queries"/> new tokens after
    /// <paramref name="cached"/> keys: <c>[B|1, 1, g·L, S]</c>, or null when every query sees every key. One host sync.
    /// </summary>
    public Tensor? Mask(AttentionSpec spec, long queries, long cached) =>
        AttentionPlan.Create(spec, queries, cached, groups, model.DType, model.Device).Mask;

    /// <summary>Token embeddings of <paramref name="ids"/> <c>[B, L]</c>, <c>[B, L, H]</c> (a row lookup without the range check: the ids come from decoding).</summary>
    public Tensor Embed(Tensor ids)
    {
        long b = ids.shape[0], l = ids.shape[1];
        return model.EmbeddingWeight.index_select(0, ids.reshape(-1)).view(b, l, hiddenSize);        // [B, L, H]
    }

    /// <summary>
    /// Runs the text tokens of <paramref name="input"/> (ids, positions, attention, cache): one new token per row through
    /// this path, a prefill (several tokens, where SDPA's causal path is used) through the general forward.
    /// </summary>
    /// <returns>The final-norm hidden states <c>[B, L, H]</c>.</returns>
    public Tensor ForwardText(ModelInput input)
    {
        var ids = input.InputIds!;                                                                      // [B, L]
        var cache = input.Cache!;
        long cached = cache.Length;
        if (ids.shape[1] != 1 || cached == 0)
        {
            return model.Forward(input).Hidden;                                                        // [B, L, H]
        }

        var positions = input.PositionIds
            ?? torch.arange(cached, cached + 1, dtype: ScalarType.Int64, device: model.Device).unsqueeze(0).expand(ids.shape[0], 1); // [B, 1]: the general path's default
        var (cos, signedSin) = Rotary(positions);                                                       // [B, 1, 1, D] ×2
        return Forward(Embed(ids), cos, signedSin, Mask(input.Attention, 1, cached), cache);           // [B, 1, H]
    }

    /// <summary>
    /// Appends <paramref name="embeddings"/> <c>[B, L, H]</c> to <paramref name="cache"/> and returns the final-norm hidden
    /// states <c>[B, L, H]</c>. Gradients must be off.
    /// </summary>
    /// <param name="embeddings">The new slots' input embeddings.</param>
    /// <param name="cos">Rotary cos rows <c>[B, L, 1, D]</c> (<see cref="Rotary"/>).</param>
    /// <param name="signedSin">Rotary signed-sin rows <c>[B, L, 1, D]</c>.</param>
    /// <param name="mask">Additive mask <c>[B|1, 1, g·L, S]</c> over the cached keys and these (<see cref="Mask"/>); null when every slot sees every key, which needs L = 1.</param>
    /// <param name="cache">The cache the keys are read from and appended to.</param>
    public Tensor Forward(Tensor embeddings, Tensor cos, Tensor signedSin, Tensor? mask, KeyValueCache cache)
    {
        if (torch.is_grad_enabled())
        {
            throw new InvalidOperationException("The decoding backbone computes without gradients; call it under no_grad or inference_mode.");
        }

        long b = embeddings.shape[0], l = embeddings.shape[1], n = b * l;
        if (mask is null && l != 1)
        {
            throw new ArgumentException("Several new slots need a mask (at least the causal one).", nameof(mask));
        }

        using var scope = torch.NewDisposeScope();
        var x = embeddings.reshape(n, hiddenSize);                                                     // [N, H], N = B·L
        for (int i = 0; i < layers.Length; i++)
        {
            var layer = layers[i];
            var (heads, rolled) = Project(layer, x, b, l);                                             // [B, L, ≥ nH+2nKV, D] (q, k, v first), [B, L, nH+nKV, D]
            var qk = heads.narrow(2, 0, numHeads + numKvHeads);                                        // [B, L, nH+nKV, D]
            var rotated = qk * cos + rolled * signedSin;                                               // [B, L, nH+nKV, D]: RotaryEmbedding.Apply
            var key = rotated.narrow(2, numHeads, numKvHeads).transpose(1, 2);                         // [B, nKV, L, D]
            var value = heads.narrow(2, numHeads + numKvHeads, numKvHeads).transpose(1, 2);            // [B, nKV, L, D]
            var (keys, values) = cache.AppendSequential(i, key, value);                                // [B, nKV, S, D] ×2
            var query = rotated.narrow(2, 0, numHeads);                                                // [B, L, nH, D]
            var grouped = l == 1
                ? query.reshape(b, numKvHeads, groups, headDim)                                        // [B, nKV, g, D]: the g heads of a group are its rows
                : query.transpose(1, 2).reshape(b, numKvHeads, groups * l, headDim);                   // [B, nKV, g·L, D]
            var attended = nn.functional.scaled_dot_product_attention(grouped, keys, values, attn_mask: mask); // [B, nKV, g·L, D]
            var merged = l == 1
                ? attended.reshape(n, numHeads * headDim)                                              // [N, nH·D]
                : attended.reshape(b, numHeads, l, headDim).transpose(1, 2).reshape(n, numHeads * headDim);
            x = torch.addmm(x, merged, layer.OutputT, 1, 1);                                        // [N, H]: x + o(attended)
            var (gate, up) = GateAndUp(layer, x);                                                      // [N, I] ×2
            x = torch.addmm(x, nn.functional.silu(gate) * up, layer.DownT, 1, 1);                      // [N, H]: x + down(silu(gate)·up)
        }

        return (finalNorm * Norm(x)).view(b, l, hiddenSize).MoveToOuterDisposeScope();                // [B, L, H]
    }

    /// <summary>
    /// The normed input's q, k, v heads <c>[B, L, ·, D]</c> (q, k, v first) and roll(q|k, D/2) <c>[B, L, nH+nKV, D]</c>:
    /// one product over the fused rows (whose last rows give the rolled heads), or three over the model's weights and a roll.
    /// </summary>
    private (Tensor Heads, Tensor Rolled) Project(Layer layer, Tensor x, long b, long l)
    {
        if (layer.Qkv is { } qkv)
        {
            var heads = nn.functional.linear(Norm(x), qkv, layer.QkvBias).view(b, l, (2 * numHeads) + (3 * numKvHeads), headDim); // [B, L, 2nH+3nKV, D]: q, k, v, roll(q), roll(k)
            return (heads, heads.narrow(2, numHeads + (2 * numKvHeads), numHeads + numKvHeads));
        }

        var normed = Norm(x) * layer.AttentionGain!;                                                   // [N, H]
        var separate = torch.cat([
            nn.functional.linear(normed, layer.Q!, layer.QBias),
            nn.functional.linear(normed, layer.K!, layer.KBias),
            nn.functional.linear(normed, layer.V!, layer.VBias)], dim: -1).view(b, l, numHeads + (2 * numKvHeads), headDim); // [B, L, nH+2nKV, D]
        return (separate, separate.narrow(2, 0, numHeads + numKvHeads).roll(headDim / 2, -1));
    }

    /// <summary>The normed input's gate and up products <c>[N, I]</c> each.</summary>
    private (Tensor Gate, Tensor Up) GateAndUp(Layer layer, Tensor x)
    {
        if (layer.GateUp is { } gateUp)
        {
            var both = nn.functional.linear(Norm(x), gateUp);                                          // [N, 2I]
            return (both.narrow(-1, 0, intermediateSize), both.narrow(-1, intermediateSize, intermediateSize)); // two narrows cost less than chunk
        }

        var normed = Norm(x) * layer.FeedForwardGain!;                                                 // [N, H]
        return (nn.functional.linear(normed, layer.Gate!), nn.functional.linear(normed, layer.Up!));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var layer in layers)
        {
            layer.Dispose();
        }

        finalNorm.Dispose();
        cosTable.Dispose();
        signedSinTable.Dispose();
        meanColumn.Dispose();
        epsilon.Dispose();
    }

    /// <summary>
    /// RMSNorm of <paramref name="x"/> <c>[N, H]</c> without the gain (the caller applies it): x · (ε + mean(x²))^−½ in at
    /// least float32, as <see cref="RmsNorm"/> computes it, with ε + mean(x²) as one <c>addmm</c> (a matrix product sums in
    /// another order than the mean's reduction: equal to rounding; a small reduction cost about twice a small product here).
    /// </summary>
    private Tensor Norm(Tensor x)
    {
        var x32 = lowPrecision ? x.to_type(ScalarType.Float32) : x;                                    // [N, H]
        // x·x, not square(): square() is pow(2) with a temporary Scalar that TorchSharp's finalizer can free while the native
        // call reads it (docs/build.md); libtorch computes pow(x, 2) as x·x, so the bits are the same.
        var normed = x32 * torch.addmm(epsilon, x32 * x32, meanColumn, 1, 1).rsqrt_();                // [N, H]: [N, 1] statistics
        return lowPrecision ? normed.to_type(model.DType) : normed;
    }

    /// <summary>
    /// Rows <paramref name="rows"/> <c>[heads·D, H]</c> reordered so that a product with them gives roll(y, D/2) per head
    /// of the product y with the original rows (rotary's rotate-half, up to its signs, which the signed-sine table carries).
    /// </summary>
    private Tensor RotateHalfRows(Tensor rows) =>
        rows.view(-1, headDim, rows.shape[^1]).roll(headDim / 2, 1).reshape(-1, rows.shape[^1]);      // [heads·D, H]

    /// <summary>The cos and signed-sin tables <c>[P, D]</c> for positions 0 … P − 1 (<see cref="RotaryEmbedding.Tables(int, int, double, ScalarType, Device)"/>).</summary>
    private static (Tensor Cos, Tensor SignedSin) RotaryTables(TransformerConfig config, int positions, ScalarType dtype, Device device)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (cos, signedSin) = RotaryEmbedding.Tables(positions, config.EffectiveHeadDim, config.RopeTheta, dtype, device); // [P, D] each
        return (cos.DetachFromDisposeScope(), signedSin.DetachFromDisposeScope());
    }

    /// <summary>One layer's weights for decoding: fused copies (<see cref="Qkv"/>, <see cref="GateUp"/>) or aliases of the model's own.</summary>
    private sealed class Layer : IDisposable
    {
        public Tensor? Qkv { get; init; }             // [(2nH+3nKV)·D, H], gain folded in
        public Tensor? QkvBias { get; init; }         // [(2nH+3nKV)·D]
        public Tensor? GateUp { get; init; }          // [2I, H], gain folded in
        public Tensor? AttentionGain { get; init; }   // [H]
        public Tensor? Q { get; init; }               // [nH·D, H]
        public Tensor? K { get; init; }               // [nKV·D, H]
        public Tensor? V { get; init; }               // [nKV·D, H]
        public Tensor? QBias { get; init; }
        public Tensor? KBias { get; init; }
        public Tensor? VBias { get; init; }
        public Tensor? FeedForwardGain { get; init; } // [H]
        public Tensor? Gate { get; init; }            // [I, H]
        public Tensor? Up { get; init; }              // [I, H]
        public required Tensor OutputT { get; init; } // [nH·D, H]
        public required Tensor DownT { get; init; }   // [I, H]

        public void Dispose()
        {
            foreach (var t in new[] { Qkv, QkvBias, GateUp, AttentionGain, Q, K, V, QBias, KBias, VBias, FeedForwardGain, Gate, Up, OutputT, DownT })
            {
                t?.Dispose();
            }
        }
    }
}
