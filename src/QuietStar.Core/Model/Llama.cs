using QuietStar.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

// The Llama-family backbone in one file, read top-down: config → norm → rotary → attention plan → attention → MLP →
// block → body → CausalLanguageModel. Only the config and the model are public, and the model's forward entry is
// internal: the seam to Quiet-STaR is ModelInput, AttentionSpec and KeyValueCache, all internal (a custom thought
// generator reaches the backbone through ThoughtRequest). Parameter names follow Hugging Face
// (model.layers.0.self_attn.q_proj.weight, …).

/// <summary>
/// Hyper-parameters of a Llama-family decoder (Llama, Mistral, Qwen2, llama2.c). Immutable; the names follow
/// Hugging Face <c>config.json</c> so that a reader can map one to the other at a glance.
/// </summary>
public sealed record TransformerConfig
{
    /// <summary>Architecture family as written in <c>config.json</c>: <c>llama</c>, <c>mistral</c> or <c>qwen2</c>.</summary>
    public string ModelType { get; init; } = "llama";

    /// <summary>Number of rows of the token embedding (and outputs of the classifier).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Width of the residual stream, H.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Width of the SwiGLU feed-forward layer.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>Number of decoder layers.</summary>
    public required int NumLayers { get; init; }

    /// <summary>Number of query heads.</summary>
    public required int NumAttentionHeads { get; init; }

    /// <summary>Number of key/value heads (grouped-query attention when smaller than <see cref="NumAttentionHeads"/>).</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Per-head width; <c>HiddenSize / NumAttentionHeads</c> when not set.</summary>
    public int? HeadDim { get; init; }

    /// <summary>Context length the model was trained for.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>Rotary embedding base θ.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Epsilon inside RMSNorm.</summary>
    public double RmsNormEps { get; init; } = 1e-5;

    /// <summary>When true the classifier reuses the token-embedding matrix (no separate <c>lm_head.weight</c>).</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Whether the q/k/v projections have a bias (true for Qwen2).</summary>
    public bool AttentionBias { get; init; }

    /// <summary>Mistral/Qwen2 sliding attention window. Recorded and saved, not applied (see docs/architecture.md).</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Beginning-of-sequence token id, if the model has one.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence token id, if the model has one.</summary>
    public int? EosTokenId { get; init; }

    /// <summary>Padding token id, if the model has one.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>The effective per-head width.</summary>
    public int EffectiveHeadDim => HeadDim ?? HiddenSize / NumAttentionHeads;

    /// <summary>The architectures this library can run.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "mistral", "qwen2"];

    /// <summary>Checks the configuration for consistency.</summary>
    /// <exception cref="ArgumentException">A value is out of range or the values do not fit together; the message names it.</exception>
    public void Validate()
    {
        if (!SupportedModelTypes.Contains(ModelType))
        {
            throw new ArgumentException(
                $"Unknown model_type '{ModelType}'. Supported: {string.Join(", ", SupportedModelTypes)}.", nameof(ModelType));
        }

        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (HeadDim is null && HiddenSize % NumAttentionHeads != 0)
        {
            throw new ArgumentException(
                $"hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}; set head_dim explicitly.");
        }

        if (EffectiveHeadDim % 2 != 0)
        {
            throw new ArgumentException($"head_dim {EffectiveHeadDim} must be even for rotary embeddings.");
        }

        if (NumAttentionHeads % NumKeyValueHeads != 0)
        {
            throw new ArgumentException(
                $"num_attention_heads {NumAttentionHeads} must be a multiple of num_key_value_heads {NumKeyValueHeads}.");
        }

        if (RopeTheta <= 0 || RmsNormEps <= 0)
        {
            throw new ArgumentException("rope_theta and rms_norm_eps must be positive.");
        }
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"{name} must be positive, got {value}.", name);
        }
    }
}

/// <summary>Root-mean-square layer norm, computed in at least float32 (as Hugging Face Llama does).</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double eps;

    /// <summary>The learned gain, <c>[H]</c>.</summary>
    public Parameter weight;

    public RmsNorm(int size, double eps, Device device, ScalarType dtype) : base(nameof(RmsNorm))
    {
        this.eps = eps;
        weight = nn.Parameter(torch.ones(size, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <summary>ε inside the root mean square.</summary>
    public double Eps => eps;

    /// <summary>The norm of <paramref name="x"/> <c>[..., H]</c>; with autograd as <see cref="RecomputedRmsNorm"/>, which keeps only x and the statistics.</summary>
    public override Tensor forward(Tensor x) =>
        torch.is_grad_enabled() && (x.requires_grad || weight.requires_grad)
            ? RecomputedRmsNorm.apply(x, weight, eps)
            : Normalize(x, weight, eps).Output;

    /// <summary>
    /// The norm of <paramref name="x"/> <c>[..., H]</c> with gain <paramref name="gain"/> <c>[H]</c>, and the reciprocal
    /// root mean square <c>[..., 1]</c> (in at least float32) that <see cref="Backward"/> needs. The one formula of the
    /// module and of the fused training functions, so both give the same bits.
    /// </summary>
    public static (Tensor Output, Tensor Rstd) Normalize(Tensor x, Tensor gain, double eps)
    {
        var x32 = Precision.AtLeastFloat32(x);                                        // [..., H]
        using var epsilon = eps.ToScalar();                                          // held: TorchSharp's temporary scalars race its finalizer (docs/build.md)
        var rstd = (x32 * x32).mean([-1L], keepdim: true).add_(epsilon).rsqrt_();    // [..., 1]: in place on the statistics; x·x is pow(x, 2)'s bits
        return (Scale(x32, gain, rstd, x.dtype), rstd);
    }

    /// <summary>
    /// The norm's output from its input and the statistics <paramref name="rstd"/> <c>[..., 1]</c> (from
    /// <see cref="Normalize"/>): <c>gain ⊙ (x·rstd)</c> in x's dtype. The training functions recompute their normalised
    /// input with it in backward, bit for bit what forward computed.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor gain, Tensor rstd) => Scale(Precision.AtLeastFloat32(x), gain, rstd, x.dtype);

    private static Tensor Scale(Tensor x32, Tensor gain, Tensor rstd, ScalarType dtype)
    {
        var normed = x32 * rstd;                                                      // [..., H]
        return gain * (normed.dtype == dtype ? normed : normed.to_type(dtype));
    }

    /// <summary>
    /// Gradients of <see cref="Normalize"/> by hand from its input and <paramref name="rstd"/>: with n = x·r,
    /// dx = r·(dn − n·mean(dn ⊙ n)) and d(gain) = Σ dy ⊙ n over all rows. Returns dx <c>[..., H]</c> and d(gain) <c>[H]</c>.
    /// </summary>
    public static (Tensor Input, Tensor Gain) Backward(Tensor x, Tensor gain, Tensor rstd, Tensor gradOutput)
    {
        var normed = Precision.AtLeastFloat32(x) * rstd;                              // [..., H], at least float32
        var normedCast = normed.dtype == x.dtype ? normed : normed.to_type(x.dtype);
        var dGain = (gradOutput * normedCast).flatten(0, -2).sum(0L, keepdim: false);                // [H]
        var dNormed = Precision.AtLeastFloat32(gradOutput * gain);                    // [..., H]
        var dx = dNormed.sub_(normed * (dNormed * normed).mean([-1L], keepdim: true)).mul_(rstd); // [..., H]
        return (dx.dtype == x.dtype ? dx : dx.to_type(x.dtype), dGain.dtype == gain.dtype ? dGain : dGain.to_type(gain.dtype));
    }
}

/// <summary>
/// What a custom autograd function kept for its backward (<c>AutogradContext.save_for_backward</c>), taken once and
/// released when that backward is done. TorchSharp's node keeps its saved tensors until the whole graph is freed (it
/// does not release them when backward passes it, as libtorch's built-in nodes do), so every tensor the step's custom
/// functions saved stayed alive through all of backward. Releasing reaches into the context's private list of saved
/// variables (TorchSharp 0.107); if that field is missing, nothing is released early and the graph frees them as
/// before. Nodes that backward never reaches keep theirs until the graph is freed, as any saved tensor.
/// <para>
/// Releasing is what libtorch does without <c>retain_graph</c>, so it is opt-in: only functions run inside
/// <see cref="SingleBackward"/> (the objective's <c>ReleaseSavedTensorsInBackward</c>, which the trainer sets) release.
/// Others keep their tensors, and backward may run over their graph again (<c>retain_graph</c>). An exception cannot
/// leave a TorchSharp backward callback (the process would end), so a second backward over a released node does not
/// throw: it yields NaN gradients, visibly wrong (the trainer runs one backward per step).
/// </para>
/// </summary>
internal sealed class BackwardStash : IDisposable
{
    private const string Releasable = "saved_tensors_releasable";
    private const string Released = "saved_tensors_released";
    private const string Shapes = "saved_tensor_shapes";

    [ThreadStatic]
    private static int singleBackwardDepth;  // forward runs on the caller's thread; the choice is recorded per node

    private static readonly System.Reflection.FieldInfo? SavedVariables =
        typeof(torch.autograd.AutogradContext).GetField("_savedVariables", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);

    private readonly List<Tensor> tensors;

    private BackwardStash(List<Tensor> tensors) => this.tensors = tensors;

    /// <summary>The tensors, in the order saved.</summary>
    public IReadOnlyList<Tensor> Tensors => tensors;

    /// <summary>Number of tensors.</summary>
    public int Count => tensors.Count;

    /// <summary>The tensor saved at <paramref name="index"/>.</summary>
    public Tensor this[int index] => tensors[index];

    /// <summary>
    /// While the returned scope is open on this thread, the functions' forward calls mark their nodes for release after
    /// their (one) backward.
    /// </summary>
    public static IDisposable SingleBackward()
    {
        singleBackwardDepth++;
        return new Scope();
    }

    /// <summary>Called in forward: keeps <paramref name="saved"/> for backward.</summary>
    public static void Save(torch.autograd.AutogradContext ctx, Tensor[] saved)
    {
        ctx.save_for_backward([.. saved]);
        if (singleBackwardDepth > 0)
        {
            ctx.save_data(Releasable, true);
            ctx.save_data(Shapes, saved.Select(t => (t.shape, t.dtype, t.device)).ToArray());
        }
    }

    /// <summary>
    /// Called in backward: takes the saved tensors; for a node saved under <see cref="SingleBackward"/> also drops the
    /// context's hold on them. Disposing the result releases them.
    /// </summary>
    public static BackwardStash Take(torch.autograd.AutogradContext ctx)
    {
        if (ctx.get_data(Released) is true)
        {
            // A second backward over a released node: no values are left. NaN makes every gradient through it visibly wrong.
            var shapes = ((long[] Shape, ScalarType DType, Device Device)[])ctx.get_data(Shapes);
            return new BackwardStash(shapes.Select(s => torch.full(s.Shape, double.NaN, dtype: s.DType, device: s.Device)).ToList());
        }

        var taken = ctx.get_saved_variables();
        if (ctx.get_data(Releasable) is true && SavedVariables?.GetValue(ctx) is System.Collections.IEnumerable held)
        {
            foreach (var variable in held)
            {
                (variable as IDisposable)?.Dispose();                // frees the native saved variable; a second Dispose is a no-op
            }

            ctx.save_data(Released, true);
        }

        return new BackwardStash(taken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in tensors)
        {
            t.Dispose();
        }
    }

    private sealed class Scope : IDisposable
    {
        private bool closed;

        public void Dispose()
        {
            if (!closed)
            {
                closed = true;
                singleBackwardDepth--;
            }
        }
    }
}

/// <summary>
/// RMSNorm for training: keeps its input, the gain and the <c>[.., 1]</c> statistics for backward instead of the
/// normalised input autograd would keep. Inputs: x <c>[.., H]</c>, gain <c>[H]</c>, ε; output <c>[.., H]</c>.
/// </summary>
internal sealed class RecomputedRmsNorm : torch.autograd.SingleTensorFunction<RecomputedRmsNorm>
{
    public override string Name => nameof(RecomputedRmsNorm);

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, gain, eps) = ((Tensor)vars[0], (Tensor)vars[1], (double)vars[2]);
        var (output, rstd) = RmsNorm.Normalize(x, gain, eps);                                         // [.., H], [.., 1]
        BackwardStash.Save(ctx, [x, gain, rstd]);
        return output;
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var saved = BackwardStash.Take(ctx);
        var (dx, dGain) = RmsNorm.Backward(saved[0], saved[1], saved[2], gradOutput);
        return [dx.MoveToOuterDisposeScope(), dGain.MoveToOuterDisposeScope(), null!];               // ε gets none
    }
}

/// <summary>
/// RMSNorm followed by the attention input projections, for training: <c>cat(ŷ·W_iᵀ)</c> with ŷ = gain ⊙ norm(x). It
/// keeps only x, the gain, the <c>[.., 1]</c> statistics and the weights for backward and recomputes ŷ there, instead
/// of the normalised x and ŷ autograd would keep (two <c>[.., H]</c> tensors per layer and forward call).
/// Inputs: x <c>[.., H]</c>, gain <c>[H]</c>, ε, then the projection weights <c>[O_i, H]</c>; output <c>[.., ΣO_i]</c>.
/// </summary>
internal sealed class NormedProjections : torch.autograd.SingleTensorFunction<NormedProjections>
{
    public override string Name => nameof(NormedProjections);

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, gain, eps) = ((Tensor)vars[0], (Tensor)vars[1], (double)vars[2]);
        var weights = vars.Skip(3).Cast<Tensor>().ToList();
        var (normed, rstd) = RmsNorm.Normalize(x, gain, eps);                          // [.., H], [.., 1]
        BackwardStash.Save(ctx, [x, gain, rstd, .. weights]);
        return torch.cat(weights.Select(w => nn.functional.linear(normed, w)).ToList(), dim: -1); // [.., ΣO_i]
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var saved = BackwardStash.Take(ctx);
        var (x, gain, rstd, weights) = (saved[0], saved[1], saved[2], saved.Tensors.Skip(3).ToList());
        var normed = RmsNorm.Apply(x, gain, rstd).flatten(0, -2);                                    // [N, H]: ŷ recomputed
        var dy = gradOutput.flatten(0, -2);                                                           // [N, ΣO_i]
        var dNormed = torch.zeros_like(normed);                                                       // [N, H]
        var dWeights = new List<Tensor>(weights.Count);
        long offset = 0;
        foreach (var w in weights)
        {
            var part = dy.narrow(1, offset, w.shape[0]);                                              // [N, O_i]
            dNormed.addmm_(part, w);                                                                  // += dY_i·W_i
            dWeights.Add(part.t().matmul(normed));                                                    // [O_i, H]
            offset += w.shape[0];
        }

        var (dx, dGain) = RmsNorm.Backward(x, gain, rstd, dNormed.view(x.shape));
        List<Tensor> grads = [dx, dGain, null!, .. dWeights];                                         // ε gets none
        foreach (var grad in grads.Where(g => g is not null))
        {
            grad.MoveToOuterDisposeScope();
        }

        return grads;
    }
}

/// <summary>
/// Rotary position embedding in the Hugging Face "rotate half" layout. Tables are built from explicit position ids
/// once per forward call, so any position (including Quiet-STaR's t + k thought positions) is valid.
/// </summary>
internal sealed class RotaryEmbedding : nn.Module
{
    private readonly Tensor invFreq;   // [D/2], float32 (as Hugging Face computes the angles)
    private readonly Tensor invFreq64; // [D/2], float64 for float64 models

    public RotaryEmbedding(int headDim, double theta, Device device) : base(nameof(RotaryEmbedding))
    {
        var inverse = InverseFrequencies(headDim, theta, device);                                     // [D/2], float64
        invFreq = inverse.to_type(ScalarType.Float32).DetachFromDisposeScope();
        invFreq64 = inverse.DetachFromDisposeScope();
        register_buffer("inv_freq", invFreq, persistent: false);
        register_buffer("inv_freq64", invFreq64, persistent: false);
    }

    /// <summary>θ^(−2i/D) for i = 0 … D/2 − 1 in float64 on <paramref name="device"/> <c>[D/2]</c>, as Hugging Face computes them.</summary>
    public static Tensor InverseFrequencies(int headDim, double theta, Device device)
    {
        var exponents = torch.arange(0, headDim, 2, dtype: ScalarType.Float64, device: device) / headDim;  // [D/2]
        // θ as a tensor on the model's device: torch.pow(Scalar, Tensor) would wrap θ on TorchSharp's default device.
        return torch.tensor(theta, dtype: ScalarType.Float64, device: device).pow(exponents).reciprocal();
    }

    /// <summary>
    /// Tables for <paramref name="positionIds"/> <c>[B, L]</c>: cos = [cos θ, cos θ] and a signed sine
    /// [−sin θ, sin θ], each <c>[B, 1, L, D]</c>, so that <see cref="Apply"/> needs no negation or concatenation.
    /// </summary>
    public (Tensor Cos, Tensor SignedSin) Tables(Tensor positionIds, ScalarType dtype) =>
        Tables(positionIds, dtype == ScalarType.Float64 ? invFreq64 : invFreq, dtype);

    /// <summary>
    /// The same tables for positions 0 … <paramref name="positions"/> − 1 without a module, each <c>[P, D]</c>
    /// (the decoding backbone's lookup tables).
    /// </summary>
    public static (Tensor Cos, Tensor SignedSin) Tables(int positions, int headDim, double theta, ScalarType dtype, Device device)
    {
        var inverse = InverseFrequencies(headDim, theta, device);                                     // [D/2], float64
        var positionIds = torch.arange(positions, dtype: ScalarType.Int64, device: device).unsqueeze(0); // [1, P]
        var (cos, signedSin) = Tables(positionIds, dtype == ScalarType.Float64 ? inverse : inverse.to_type(ScalarType.Float32), dtype);
        return (cos[0, 0], signedSin[0, 0]);                                                           // [P, D] each
    }

    /// <summary>The tables for <paramref name="positionIds"/> <c>[B, L]</c> from inverse frequencies in the angles' dtype.</summary>
    private static (Tensor Cos, Tensor SignedSin) Tables(Tensor positionIds, Tensor inverse, ScalarType dtype)
    {
        var angles = positionIds.to_type(inverse.dtype).unsqueeze(-1) * inverse;        // [B, L, D/2]
        var cos = angles.cos();
        var sin = angles.sin();
        var cosTable = torch.cat([cos, cos], dim: -1).unsqueeze(1);                     // [B, 1, L, D]
        var sinTable = torch.cat([-sin, sin], dim: -1).unsqueeze(1);                    // [B, 1, L, D]
        return dtype == cosTable.dtype ? (cosTable, sinTable) : (cosTable.to_type(dtype), sinTable.to_type(dtype));
    }

    /// <summary>
    /// Rotates <paramref name="x"/> <c>[B, heads, L, D]</c>: x·cos + rotate_half(x)·sin, with rotate_half(x)·sin
    /// written as roll(x, D/2)·[−sin, sin] (the same products, bit for bit).
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor signedSin) =>
        x * cos + x.roll(x.shape[^1] / 2, -1) * signedSin;
}

/// <summary>How one forward call attends; built once per call and shared by every layer.</summary>
internal sealed class AttentionPlan
{
    private AttentionPlan(AttentionKind kind, bool isCausal, Tensor? mask, Tensor? keyIsReal = null, Tensor? keyBias = null)
    {
        Kind = kind;
        IsCausal = isCausal;
        Mask = mask;
        KeyIsReal = keyIsReal;
        KeyBias = keyBias;
    }

    /// <summary>The caller's pattern.</summary>
    public AttentionKind Kind { get; }

    /// <summary>
    /// SDPA's own causal path: for sequential kinds, plain causal attention over exactly the new tokens (no cache prefix,
    /// no padding); for <see cref="AttentionKind.Branches"/>, a prefix mask that is exactly causal over as many cached
    /// keys as there are queries (no padding), so that the branch sink can sit before the prefix keys.
    /// </summary>
    public bool IsCausal { get; }

    /// <summary>
    /// An additive mask (0 or −∞, in the query dtype) with query rows laid out by key/value group
    /// (<c>[B|1, 1, g·L, S]</c>, g = nH / nKV); null when every query may see every key. For
    /// <see cref="AttentionKind.Branches"/> the last key column is the branch "sink" and is always 0.
    /// </summary>
    public Tensor? Mask { get; }

    /// <summary>
    /// For <see cref="AttentionKind.Branches"/> over as many cached keys as there are queries: the keys that are not
    /// padding, <c>[B|1, S]</c>, when the prefix mask is the objective's (query t sees the real keys among 0 … t − 1 and
    /// always its own key t; the CPU kernel's form of the mask); null otherwise, and when <see cref="IsCausal"/> (no
    /// padding). The last key always reads as real: only the last query sees it, as its own key.
    /// </summary>
    public Tensor? KeyIsReal { get; }

    /// <summary>
    /// The CPU kernel's key bias <c>[B|1, Lp]</c> (<see cref="CpuBranchAttention.KeyBias"/>: 0, or −∞ for the padded keys
    /// of <see cref="KeyIsReal"/>), built once per call and read as it is by every layer (a single row serves the whole batch); null where the kernel cannot run (not CPU
    /// float32, or a prefix mask of another form).
    /// </summary>
    public Tensor? KeyBias { get; }

    /// <summary>Builds the plan for <paramref name="queries"/> new tokens after <paramref name="cached"/> sequential keys.</summary>
    public static AttentionPlan Create(AttentionSpec spec, long queries, long cached, int groups, ScalarType dtype, Device device)
    {
        if (spec.Kind == AttentionKind.Causal && spec.Mask is not null && spec.Mask.shape[1] != cached + queries)
        {
            // Checked before the all-true shortcut below, which would otherwise accept a mask of any length.
            throw new ArgumentException(
                $"Key padding mask covers {spec.Mask.shape[1]} keys but attention sees {cached + queries} (cached + new); pass one flag per key, [B, S].");
        }

        switch (spec.Kind)
        {
            case AttentionKind.Causal when spec.Mask is not null && AllTrue(spec.Mask):
                return Create(AttentionSpec.Causal(), queries, cached, groups, dtype, device);  // no key is padding
            case AttentionKind.Causal when spec.Mask is null && cached == 0:
                return new AttentionPlan(spec.Kind, isCausal: true, mask: null);
            case AttentionKind.Causal when spec.Mask is null && queries == 1:
                return new AttentionPlan(spec.Kind, isCausal: false, mask: null);           // one new token sees every key
            case AttentionKind.Causal:
                return new AttentionPlan(spec.Kind, false, Additive(CausalMask(spec.Mask, queries, cached + queries, device), groups, 0, dtype));
            case AttentionKind.ExplicitMask:
                var mask = CheckMask(spec.Mask!, queries, cached + queries);
                return new AttentionPlan(spec.Kind, false, AllTrue(mask) ? null : Additive(mask, groups, 0, dtype));
            default:
                var prefixMask = CheckMask(spec.Mask!, queries, cached);
                bool kernelCanRun = queries == cached && device.type == DeviceType.CPU && dtype == ScalarType.Float32;
                if (queries == cached && IsPlainCausal(prefixMask))
                {
                    // SDPA's causal path, see BranchAttention; the kernel's bias is all 0.
                    return new AttentionPlan(spec.Kind, isCausal: true, mask: null, keyBias: kernelCanRun ? CpuBranchAttention.KeyBias(null, 1, queries) : null);
                }

                // The kernel's form of the mask is looked for only where the kernel can run (one more host sync per call).
                var keyIsReal = kernelCanRun ? CausalKeyPadding(prefixMask) : null;                  // [B|1, S]
                var keyBias = keyIsReal is null ? null : CpuBranchAttention.KeyBias(keyIsReal, keyIsReal.shape[0], queries); // [B|1, Lp]
                return new AttentionPlan(spec.Kind, false, Additive(prefixMask, groups, 1, dtype), keyIsReal, keyBias);
        }
    }

    /// <summary>
    /// The real keys <c>[B|1, S]</c> of a square prefix mask <c>[B|1, 1, L, L]</c> of the objective's form (query t sees key
    /// s &lt; t exactly when s is real, and always its own key t), or null when it is any other pattern. The last query
    /// sees every real key, so its row is the padding (its own key's flag does not matter: only it sees that key, as its
    /// own). One host sync per forward call.
    /// </summary>
    private static Tensor? CausalKeyPadding(Tensor mask)
    {
        long l = mask.shape[^1];
        var keyIsReal = mask.select(1, 0).select(1, l - 1);                                          // [B|1, S]
        var causal = torch.ones(l, l, dtype: ScalarType.Bool, device: mask.device).tril();         // [L, L]
        var self = torch.eye(l, dtype: ScalarType.Bool, device: mask.device);                     // [L, L]
        var form = causal.logical_and(keyIsReal.unsqueeze(1).unsqueeze(1)).logical_or(self);      // [B|1, 1, L, L]
        return mask.eq(form).all().item<bool>() ? keyIsReal.contiguous() : null;
    }

    /// <summary>Whether a square mask <c>[B|1, 1, L, L]</c> is exactly causal (no padded key). One host sync per forward call.</summary>
    private static bool IsPlainCausal(Tensor mask)
    {
        var causal = torch.ones(mask.shape[^2], mask.shape[^1], dtype: ScalarType.Bool, device: mask.device).tril(); // [L, L]
        return mask.eq(causal).all().item<bool>();
    }

    /// <summary>
    /// Whether a mask lets every query see every key, so that attention can run without it: the same result (a mask
    /// adds 0 there), and SDPA with a mask cost 3–4× more than without at decoding sizes (one query, ~100 keys; measured).
    /// One host sync per forward call.
    /// </summary>
    private static bool AllTrue(Tensor mask) => mask.all().item<bool>();

    /// <summary>A boolean mask <c>[B|1, 1, L, S]</c> as 0/−∞ <c>[B|1, 1, g·L, S + extra]</c>, the extra key columns open.</summary>
    private static Tensor Additive(Tensor allowed, int groups, int extra, ScalarType dtype)
    {
        var shape = allowed.shape.ToArray();
        shape[^1] += extra;
        var additive = torch.zeros(shape, dtype: dtype, device: allowed.device);                       // [B|1, 1, L, S + extra]
        additive.narrow(-1, 0, allowed.shape[^1]).masked_fill_(allowed.logical_not(), double.NegativeInfinity);
        return groups == 1 ? additive : additive.repeat(1, 1, groups, 1);                             // [B|1, 1, g·L, S + extra]
    }

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

/// <summary>
/// Grouped-query self-attention with rotary positions. Query head <c>h</c> uses key/value head <c>h / g</c>
/// (g = nH / nKV), as Hugging Face's <c>repeat_kv</c> does; the g query heads of a group are folded into the query
/// length instead of repeating keys and values.
/// </summary>
internal sealed class SelfAttention : nn.Module
{
    private readonly int numHeads;
    private readonly int numKvHeads;
    private readonly int groups;
    private readonly int headDim;
    private readonly int augmentedDim; // D' of branch attention: D + 1 (the sink lane) rounded up to a multiple of 8
    private readonly double scale;

    [ComponentName(Name = "q_proj")]
    private readonly Linear q;

    [ComponentName(Name = "k_proj")]
    private readonly Linear k;

    [ComponentName(Name = "v_proj")]
    private readonly Linear v;

    [ComponentName(Name = "o_proj")]
    private readonly Linear o;

    public SelfAttention(TransformerConfig config, Device device, ScalarType dtype) : base(nameof(SelfAttention))
    {
        numHeads = config.NumAttentionHeads;
        numKvHeads = config.NumKeyValueHeads;
        groups = numHeads / numKvHeads;
        headDim = config.EffectiveHeadDim;
        augmentedDim = (headDim + 1 + 7) / 8 * 8;
        scale = 1.0 / Math.Sqrt(headDim);
        int h = config.HiddenSize;
        q = nn.Linear(h, numHeads * headDim, hasBias: config.AttentionBias, device: device, dtype: dtype);
        k = nn.Linear(h, numKvHeads * headDim, hasBias: config.AttentionBias, device: device, dtype: dtype);
        v = nn.Linear(h, numKvHeads * headDim, hasBias: config.AttentionBias, device: device, dtype: dtype);
        o = nn.Linear(numHeads * headDim, h, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>
    /// q, k and v of <paramref name="residual"/> <c>[B, L, H]</c> after <paramref name="norm"/>, side by side,
    /// <c>[B, L, (nH+2nKV)·D]</c>. Without autograd, one matmul over the three weights concatenated on the fly (the
    /// checkpoint keeps its three). With autograd, <see cref="NormedProjections"/>: three matmuls whose outputs are
    /// concatenated (a fused weight would be a fresh copy that backward keeps alive for every layer of every forward call
    /// of the step, gigabytes at 7B parameters), with the norm recomputed in backward (plain autograd with biases).
    /// </summary>
    private Tensor Project(Tensor residual, RmsNorm norm)
    {
        if (torch.is_grad_enabled() && (residual.requires_grad || q.weight!.requires_grad || norm.weight.requires_grad))
        {
            return q.bias is null
                ? NormedProjections.apply(residual, norm.weight, norm.Eps, q.weight!, k.weight!, v.weight!) // [B, L, (nH+2nKV)·D]
                : ProjectSeparately(norm.call(residual));
        }

        var x = norm.call(residual);                                                                    // [B, L, H]
        var weight = torch.cat([q.weight!, k.weight!, v.weight!], dim: 0);                             // [(nH+2nKV)·D, H]
        var bias = q.bias is null ? null : torch.cat([q.bias, k.bias!, v.bias!], dim: 0);
        return nn.functional.linear(x, weight, bias);                                                   // [B, L, (nH+2nKV)·D]
    }

    private Tensor ProjectSeparately(Tensor x) => torch.cat([q.forward(x), k.forward(x), v.forward(x)], dim: -1); // [B, L, (nH+2nKV)·D]

    /// <summary>Runs attention for new tokens <paramref name="x"/> <c>[B, L, H]</c> (before <paramref name="norm"/>); returns <c>[B, L, H]</c>.</summary>
    public Tensor Forward(Tensor x, RmsNorm norm, Tensor cos, Tensor signedSin, AttentionPlan plan, KeyValueCache? cache, int layer)
    {
        long b = x.shape[0], l = x.shape[1];
        var heads = Project(x, norm).view(b, l, numHeads + (2 * numKvHeads), headDim).transpose(1, 2);       // [B, nH+2nKV, L, D]
        var qkAndV = heads.split([numHeads + numKvHeads, numKvHeads], dim: 1);
        var qk = RotaryEmbedding.Apply(qkAndV[0], cos, signedSin).split([numHeads, numKvHeads], dim: 1); // rotary once for q and k
        var (query, key, value) = (qk[0], qk[1], qkAndV[1]);                                           // [B, nH, L, D], [B, nKV, L, D] ×2

        var attended = plan.Kind == AttentionKind.Branches
            ? BranchAttention(query, key, value, plan, cache ?? throw new ArgumentException("Branch attention needs a KV cache.", nameof(cache)), layer)
            : SequentialAttention(query, key, value, plan, cache, layer);                               // [B, nH, L, D]

        return o.forward(attended.transpose(1, 2).reshape(b, l, numHeads * headDim));                   // [B, L, H]
    }

    private Tensor SequentialAttention(Tensor query, Tensor key, Tensor value, AttentionPlan plan, KeyValueCache? cache, int layer)
    {
        var (keys, values) = cache is null ? (key, value) : cache.AppendSequential(layer, key, value); // [B, nKV, S, D]
        if (plan.IsCausal)
        {
            // SDPA's causal flag is relative to the query length, so the groups cannot be folded into it: repeat the keys.
            var kExp = groups == 1 ? keys : keys.repeat_interleave(groups, dim: 1);                     // [B, nH, S, D]
            var vExp = groups == 1 ? values : values.repeat_interleave(groups, dim: 1);
            return nn.functional.scaled_dot_product_attention(query, kExp, vExp, is_casual: true);
        }

        long b = query.shape[0], l = query.shape[2];
        var grouped = groups == 1 ? query : query.reshape(b, numKvHeads, groups * l, headDim);           // [B, nKV, g·L, D]
        var attended = nn.functional.scaled_dot_product_attention(grouped, keys, values, attn_mask: plan.Mask); // [B, nKV, g·L, D]
        return groups == 1 ? attended : attended.reshape(b, numHeads, l, headDim);                       // [B, nH, L, D]: reshape, as fused kernels may return a transposed layout
    }

    /// <summary>
    /// Query t attends to the prefix keys its mask allows and to the keys at position t of every branch block
    /// (one softmax over both). The prefix part runs through SDPA, which keeps no <c>[L, S]</c> probability matrix for
    /// backward; the branch part joins it as one extra "sink" key per query whose score is the log-sum-exp of the
    /// query's own branch scores: the sink's probability is then the branch keys' total share of the joint softmax,
    /// which is split among them by their own softmax. Exactly the joint softmax, in values and gradients.
    /// </summary>
    private Tensor BranchAttention(Tensor query, Tensor key, Tensor value, AttentionPlan plan, KeyValueCache cache, int layer)
    {
        if (plan.KeyBias is not null && CpuBranchAttention.Supports(query, cache.BranchCountAt(layer) + 1))
        {
            // The same softmax as below, in one CPU kernel over the transposed, padded prefix (see CpuBranchAttention).
            if (key.shape[2] != query.shape[2] || cache.Length != query.shape[2])
            {
                throw new ArgumentException("Branch attention expects one new token per prefix position of the same batch.");
            }

            var (keysT, valuesT, blocks) = cache.AppendBranch(layer, key.contiguous(), value.contiguous(), CpuBranchAttention.TransposedPrefix); // [B, nKV, Lp/8, D, 8] each
            bool padded = plan.KeyIsReal is not null;
            return CpuBranchAttention.apply([query.contiguous(), keysT, valuesT, plan.KeyBias, scale, padded, .. blocks.Select(bk => bk.Key), .. blocks.Select(bk => bk.Value)]); // [B, nH, L, D]
        }

        // Contiguous blocks, so that the batched products below read them as views (no copy per block and step).
        var (prefixKeys, prefixValues, branches) = plan.IsCausal
            ? cache.AppendBranch(layer, key.contiguous(), value.contiguous(), SinkFirstPerHead)      // [B, nH, 1+Sp, D'] each
            : cache.AppendBranch(layer, key.contiguous(), value.contiguous(), SinkAugmented);        // [B, nKV, Sp+1, D'] each
        long b = query.shape[0], l = query.shape[2];
        if (key.shape[2] != l || prefixKeys.shape[0] != b)
        {
            throw new ArgumentException("Branch attention expects one new token per prefix position of the same batch.");
        }

        // SDPA's query [q, λ, 0, …] is padded from q with its λ lane at 0 (and, on the causal path, a leading dummy query
        // row); λ, the branch log-sum-exp, is written into its lane in place once the branch part has run. The branch
        // part gets its own copy of q: it saves q for backward, and a view of SDPA's query would fail autograd's
        // version check after that write.
        var widened = plan.IsCausal
            ? nn.functional.pad(query, [0, augmentedDim - headDim, 1, 0])                            // [B, nH, 1+L, D']
            : nn.functional.pad(query, [0, augmentedDim - headDim]);                                 // [B, nH, L, D']
        var rows = plan.IsCausal ? widened.narrow(2, 1, l) : widened;                                  // [B, nH, L, D']
        var q5 = query.reshape(b, numKvHeads, groups, l, headDim);                                     // [B, nKV, g, L, D]
        // The branch part per (row, kv head, position): the g queries against that position's n branch keys.
        var own = BranchKeysAttention.apply([q5.transpose(2, 3), scale, .. branches.Select(bk => bk.Key), .. branches.Select(bk => bk.Value)]);
        var ownLse = own[0];                                                                           // [B, nKV, L, g, 1]: log-sum-exp of the branch scores
        var fromBranches = own[1].transpose(2, 3);                                                     // [B, nKV, g, L, D]: softmax within the branch keys · values
        rows.narrow(-1, headDim, 1).view(b, numKvHeads, groups, l, 1).copy_(ownLse.transpose(2, 3));   // λ lane, [B, nKV, g, L, 1]
        if (plan.IsCausal)
        {
            // Keys [sink, k_0, …, k_{L−1}] and queries [dummy, q_0, …, q_{L−1}]: SDPA's (top-left) causal pattern lets
            // query i see the sink and keys 0 … i, exactly the causal prefix, with no mask to read and the key blocks
            // above the diagonal skipped. The dummy query (all zero) sees the sink only; its row is dropped.
            var causalJoint = nn.functional.scaled_dot_product_attention(widened, prefixKeys, prefixValues, is_casual: true)
                .narrow(2, 1, l);                                                                    // [B, nH, L, D']
            var share = causalJoint.narrow(-1, headDim, 1);                                            // [B, nH, L, 1]
            return causalJoint.narrow(-1, 0, headDim) + (share * fromBranches.reshape(b, numHeads, l, headDim)); // [B, nH, L, D]
        }

        var joint = nn.functional.scaled_dot_product_attention(widened.view(b, numKvHeads, groups * l, augmentedDim), prefixKeys, prefixValues, attn_mask: plan.Mask)
            .view(b, numKvHeads, groups, l, augmentedDim);                                           // [B, nKV, g, L, D']
        var fromPrefix = joint.narrow(-1, 0, headDim);                                                 // [B, nKV, g, L, D]
        var branchShare = joint.narrow(-1, headDim, 1);                                                // [B, nKV, g, L, 1]
        return (fromPrefix + (branchShare * fromBranches)).reshape(b, numHeads, l, headDim);           // [B, nH, L, D]
    }

    /// <summary>
    /// The prefix keys and values widened to D' = D + 1 rounded up to a multiple of 8 (SDPA's CPU kernel took
    /// 1.6–2.2× as long, forward + backward, at a head width of 9 as at 16; measured), plus one "sink" key: keys
    /// [k·c, 0, …] and the sink [0, √D', 0, …], values [v, 0, …] and the sink [0, 1, 0, …]. SDPA scales by 1/√D', so
    /// c = √(D'/D) keeps the prefix scores q·k/√D, and a query [q, λ, 0, …] scores λ on the sink. Built once per layer
    /// and training step.
    /// </summary>
    private (Tensor Keys, Tensor Values) SinkAugmented(Tensor keys, Tensor values)
    {
        var (sinkKey, sinkValue, widenedKeys, widenedValues) = SinkParts(keys, values);
        return (torch.cat([widenedKeys, sinkKey], dim: 2), torch.cat([widenedValues, sinkValue], dim: 2)); // [B, nKV, Sp+1, D']
    }

    /// <summary>
    /// The widened prefix of <see cref="SinkAugmented"/> for SDPA's causal path: the sink first, then the prefix keys,
    /// each KV head repeated for its g query heads (the causal pattern is relative to the query length, so the groups
    /// cannot be folded into it): <c>[B, nH, 1+Sp, D']</c>. Built once per layer and training step.
    /// </summary>
    private (Tensor Keys, Tensor Values) SinkFirstPerHead(Tensor keys, Tensor values)
    {
        var (sinkKey, sinkValue, widenedKeys, widenedValues) = SinkParts(keys, values);
        var k = torch.cat([sinkKey, widenedKeys], dim: 2);                                            // [B, nKV, 1+Sp, D']
        var v = torch.cat([sinkValue, widenedValues], dim: 2);                                        // [B, nKV, 1+Sp, D']
        return groups == 1 ? (k, v) : (k.repeat_interleave(groups, dim: 1), v.repeat_interleave(groups, dim: 1)); // [B, nH, 1+Sp, D']
    }

    /// <summary>The sink key and value <c>[B, nKV, 1, D']</c> and the widened prefix keys and values <c>[B, nKV, Sp, D']</c>.</summary>
    private (Tensor SinkKey, Tensor SinkValue, Tensor Keys, Tensor Values) SinkParts(Tensor keys, Tensor values)
    {
        long b = keys.shape[0], s = keys.shape[2], extra = augmentedDim - headDim;
        var zero = torch.zeros(b, numKvHeads, s, extra, dtype: keys.dtype, device: keys.device);          // [B, nKV, Sp, D'−D]
        var sinkKey = torch.zeros(b, numKvHeads, 1, augmentedDim, dtype: keys.dtype, device: keys.device);
        sinkKey.narrow(-1, headDim, 1).fill_(Math.Sqrt(augmentedDim));                                 // [B, nKV, 1, D']
        var sinkValue = torch.zeros(b, numKvHeads, 1, augmentedDim, dtype: keys.dtype, device: keys.device);
        sinkValue.narrow(-1, headDim, 1).fill_(1.0);
        var widenedKeys = torch.cat([keys * Math.Sqrt((double)augmentedDim / headDim), zero], dim: -1); // [B, nKV, Sp, D']
        var widenedValues = torch.cat([values, zero], dim: -1);                                          // [B, nKV, Sp, D']
        return (sinkKey, sinkValue, widenedKeys, widenedValues);
    }
}

/// <summary>
/// Attention of each position's g queries over that position's own n branch keys (one per branch block), returning
/// the log-sum-exp of the scores <c>[.., g, 1]</c> and the softmax-weighted values <c>[.., g, D]</c>. As a custom
/// autograd function it keeps only the queries, the probabilities <c>[.., g, n]</c> and the cached blocks for backward: letting autograd see the stacked
/// <c>[.., n, D]</c> keys and values would keep a new copy of all earlier blocks at every step (memory growing with n²).
/// Inputs: queries <c>[B, nKV, L, g, D]</c>, the scale, then n keys and n values <c>[B, nKV, L, D]</c>.
/// </summary>
internal sealed class BranchKeysAttention : torch.autograd.MultiTensorFunction<BranchKeysAttention>
{
    public override string Name => nameof(BranchKeysAttention);

    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (q, scale, keys, values) = Unpack(vars);
        var (lse, probs, _, vStack) = Probabilities(q, keys, values, scale);
        BackwardStash.Save(ctx, [q, probs, .. keys, .. values]);                                     // probs [.., g, n]: n·g numbers per position, no recomputation in backward
        ctx.save_data("scale", scale);
        return [lse.to_type(q.dtype), torch.matmul(probs, vStack)];                                   // [.., g, 1], [.., g, D]
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> gradOutputs)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var saved = BackwardStash.Take(ctx);
        int n = (saved.Count - 2) / 2;
        var (q, probs, keys, values) = (saved[0], saved[1], saved.Tensors.Skip(2).Take(n).ToList(), saved.Tensors.Skip(2 + n).ToList()); // probs [.., g, n]
        double scale = (double)ctx.get_data("scale");
        var (kStack, vStack) = (torch.stack(keys, dim: 3), torch.stack(values, dim: 3));              // [B, nKV, L, n, D] each
        var (dLse, dOut) = (gradOutputs[0].to_type(probs.dtype), gradOutputs[1].to_type(probs.dtype)); // [.., g, 1], [.., g, D]
        var dProbs = torch.matmul(dOut, vStack.transpose(-1, -2));                                     // [.., g, n]: dOut·vᵀ
        // d(scores) = p ⊙ (dOut·vᵀ − Σ dOut ⊙ out + dLse): the softmax's and the log-sum-exp's parts together, with
        // Σ_d dOut ⊙ out = Σ_j p_j (dOut·v_j), so the output need not be recomputed.
        var rowDot = (probs * dProbs).sum(-1, keepdim: true);                                          // [.., g, 1]
        var dScaled = dProbs.sub_(rowDot).add_(dLse).mul_(probs).mul_(scale);                          // [.., g, n]: in place on fresh temporaries
        var dq = torch.matmul(dScaled, kStack);                                                        // [.., g, D]
        var dKeys = torch.matmul(dScaled.transpose(-1, -2), q).unbind(3);                              // n × [B, nKV, L, D]
        var dValues = torch.matmul(probs.transpose(-1, -2), dOut).unbind(3);                           // n × [B, nKV, L, D]
        // One gradient per input of forward: the scale (not a tensor) gets none.
        List<Tensor> grads = [dq, null!, .. dKeys, .. dValues];
        foreach (var grad in grads.Where(g => g is not null))
        {
            grad.MoveToOuterDisposeScope();
        }

        return grads;
    }

    private static (Tensor Q, double Scale, List<Tensor> Keys, List<Tensor> Values) Unpack(object[] vars)
    {
        int n = (vars.Length - 2) / 2;
        var tensors = vars.Skip(2).Cast<Tensor>().ToList();
        return ((Tensor)vars[0], (double)vars[1], tensors.GetRange(0, n), tensors.GetRange(n, n));
    }

    /// <summary>Log-sum-exp <c>[.., g, 1]</c> and softmax <c>[.., g, n]</c> of the scores (in at least float32), and the stacked keys and values <c>[.., n, D]</c>.</summary>
    private static (Tensor Lse, Tensor Probs, Tensor Keys, Tensor Values) Probabilities(Tensor q, List<Tensor> keys, List<Tensor> values, double scale)
    {
        var kStack = torch.stack(keys, dim: 3);                                                        // [B, nKV, L, n, D]
        var vStack = torch.stack(values, dim: 3);                                                      // [B, nKV, L, n, D]
        var scores = torch.matmul(q, kStack.transpose(-1, -2)).to_type(Precision.AtLeastFloat32(q.dtype)) * scale; // [.., g, n]
        var lse = scores.logsumexp(-1, keepdim: true);                                                 // [.., g, 1]
        var probs = (scores - lse).exp_();                                                             // [.., g, n]
        return (lse, probs.to_type(q.dtype), kStack, vStack);
    }
}

/// <summary>
/// SwiGLU feed-forward block: <c>down(silu(gate(x)) * up(x))</c>. When gradients are recorded it runs as
/// <see cref="RecomputedSwiGlu"/>, which keeps only its input for backward instead of four <c>[.., I]</c> activations.
/// </summary>
internal sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "gate_proj")]
    private readonly Linear gate;

    [ComponentName(Name = "up_proj")]
    private readonly Linear up;

    [ComponentName(Name = "down_proj")]
    private readonly Linear down;

    public FeedForward(TransformerConfig config, Device device, ScalarType dtype) : base(nameof(FeedForward))
    {
        gate = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device, dtype: dtype);
        up = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device, dtype: dtype);
        down = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>
    /// <paramref name="norm"/> then the block, on the residual stream <paramref name="h"/> <c>[B, L, H]</c>. When
    /// gradients are recorded, one <see cref="NormedSwiGlu"/> (keeps h only); otherwise the norm module and
    /// <see cref="forward"/> (module hooks fire, e.g. for <c>bench train --breakdown</c>).
    /// </summary>
    public Tensor Forward(Tensor h, RmsNorm norm)
    {
        var (wGate, wUp, wDown) = (gate.weight!, up.weight!, down.weight!);
        bool recording = torch.is_grad_enabled()
            && (h.requires_grad || norm.weight.requires_grad || wGate.requires_grad || wUp.requires_grad || wDown.requires_grad);
        return recording ? NormedSwiGlu.apply(h, norm.weight, norm.Eps, wGate, wUp, wDown) : call(norm.call(h)); // [B, L, H]
    }

    public override Tensor forward(Tensor x)
    {
        var (wGate, wUp, wDown) = (gate.weight!, up.weight!, down.weight!);
        bool recording = torch.is_grad_enabled() && (x.requires_grad || wGate.requires_grad || wUp.requires_grad || wDown.requires_grad);
        return recording
            ? RecomputedSwiGlu.apply(x, wGate, wUp, wDown)                                              // [B, L, H]
            : nn.functional.linear(nn.functional.silu(nn.functional.linear(x, wGate)) * nn.functional.linear(x, wUp), wDown);
    }
}

/// <summary>
/// SwiGLU with activation recomputation: forward keeps x and the three weights; backward recomputes the gate and up
/// products (two matrix products) and applies the chain rule by hand. Per layer call this saves the four <c>[.., I]</c>
/// tensors autograd would keep (gate, silu, up, product), most of a training step's activation memory.
/// </summary>
internal sealed class RecomputedSwiGlu : torch.autograd.SingleTensorFunction<RecomputedSwiGlu>
{
    public override string Name => nameof(RecomputedSwiGlu);

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, wGate, wUp, wDown) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3]);
        BackwardStash.Save(ctx, [x, wGate, wUp, wDown]);
        return nn.functional.linear(nn.functional.silu(nn.functional.linear(x, wGate)) * nn.functional.linear(x, wUp), wDown); // [.., H]
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var saved = BackwardStash.Take(ctx);
        var (x, wGate, wUp, wDown) = (saved[0], saved[1], saved[2], saved[3]);
        var (dx, dWGate, dWUp, dDown) = Backward(x, wGate, wUp, wDown, gradOutput);
        return [dx.MoveToOuterDisposeScope(), dWGate.MoveToOuterDisposeScope(), dWUp.MoveToOuterDisposeScope(), dDown.MoveToOuterDisposeScope()];
    }

    /// <summary>The block's gradients by hand, recomputing its gate and up products from <paramref name="x"/> <c>[.., H]</c>: dx and the three weight gradients.</summary>
    public static (Tensor Input, Tensor Gate, Tensor Up, Tensor Down) Backward(Tensor x, Tensor wGate, Tensor wUp, Tensor wDown, Tensor gradOutput)
    {
        var rows = x.flatten(0, -2);                                         // [N, H]
        var g = nn.functional.linear(x, wGate);                              // [.., I]
        var u = nn.functional.linear(x, wUp);                                // [.., I]
        var sigmoid = g.sigmoid();
        var silu = g * sigmoid;                                              // [.., I]
        var dy = gradOutput.flatten(0, -2);                                  // [N, H]
        var dh = gradOutput.matmul(wDown);                                   // [.., I]: d/d(silu·u)
        var dDown = dy.t().matmul((silu * u).flatten(0, -2));                // [H, I]
        var dUp = dh * silu;                                                 // [.., I]: d/du
        var dGate = dh * u * (sigmoid * (1 + (g * (1 - sigmoid))));          // [.., I]: d/dg, silu'(g) = σ(g)(1 + g(1 − σ(g)))
        var dx = dGate.matmul(wGate) + dUp.matmul(wUp);                     // [.., H]
        var dWGate = dGate.flatten(0, -2).t().matmul(rows);                  // [I, H]
        var dWUp = dUp.flatten(0, -2).t().matmul(rows);                      // [I, H]
        return (dx, dWGate, dWUp, dDown);
    }
}

/// <summary>
/// RMSNorm followed by the SwiGLU block, for training: keeps only the residual-stream input h, the gain, the
/// <c>[.., 1]</c> statistics and the three weights, and recomputes the norm and the block in backward (the normalised h
/// and the block's input are not kept: two <c>[.., H]</c> tensors per layer and forward call, besides the block's four
/// <c>[.., I]</c> ones). Inputs: h <c>[.., H]</c>, gain <c>[H]</c>, ε, gate, up, down weights; output <c>[.., H]</c>.
/// </summary>
internal sealed class NormedSwiGlu : torch.autograd.SingleTensorFunction<NormedSwiGlu>
{
    public override string Name => nameof(NormedSwiGlu);

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (h, gain, eps) = ((Tensor)vars[0], (Tensor)vars[1], (double)vars[2]);
        var (wGate, wUp, wDown) = ((Tensor)vars[3], (Tensor)vars[4], (Tensor)vars[5]);
        var (x, rstd) = RmsNorm.Normalize(h, gain, eps);                                             // [.., H], [.., 1]
        BackwardStash.Save(ctx, [h, gain, rstd, wGate, wUp, wDown]);
        return nn.functional.linear(nn.functional.silu(nn.functional.linear(x, wGate)) * nn.functional.linear(x, wUp), wDown); // [.., H]
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var saved = BackwardStash.Take(ctx);
        var (h, gain, rstd, wGate, wUp, wDown) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5]);
        var x = RmsNorm.Apply(h, gain, rstd);                                                        // [.., H]: the block's input recomputed
        var (dx, dWGate, dWUp, dDown) = RecomputedSwiGlu.Backward(x, wGate, wUp, wDown, gradOutput);
        var (dh, dGain) = RmsNorm.Backward(h, gain, rstd, dx);
        List<Tensor> grads = [dh, dGain, null!, dWGate, dWUp, dDown];                               // ε gets none
        foreach (var grad in grads.Where(g => g is not null))
        {
            grad.MoveToOuterDisposeScope();
        }

        return grads;
    }
}

/// <summary>One pre-norm Llama decoder layer: attention then SwiGLU, each with a residual connection.</summary>
internal sealed class DecoderLayer : nn.Module
{
    [ComponentName(Name = "input_layernorm")]
    private readonly RmsNorm attentionNorm;

    [ComponentName(Name = "self_attn")]
    private readonly SelfAttention attention;

    [ComponentName(Name = "post_attention_layernorm")]
    private readonly RmsNorm feedForwardNorm;

    [ComponentName(Name = "mlp")]
    private readonly FeedForward feedForward;

    public DecoderLayer(TransformerConfig config, Device device, ScalarType dtype) : base(nameof(DecoderLayer))
    {
        attentionNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        attention = new SelfAttention(config, device, dtype);
        feedForwardNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        feedForward = new FeedForward(config, device, dtype);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor signedSin, AttentionPlan plan, KeyValueCache? cache, int layer)
    {
        // The norms run inside the training functions (recomputed in backward); without autograd through their
        // modules' call(), whose hooks `quietstar bench train --breakdown` uses.
        var h = x + attention.Forward(x, attentionNorm, cos, signedSin, plan, cache, layer);            // [B, L, H]
        return h + feedForward.Forward(h, feedForwardNorm);                                             // [B, L, H]
    }
}

/// <summary>The decoder stack without the classifier (Hugging Face's <c>model.*</c> parameters).</summary>
internal sealed class TransformerBody : nn.Module
{
    private readonly int groups;

    [ComponentName(Name = "embed_tokens")]
    private readonly Embedding embedTokens;

    [ComponentName(Name = "layers")]
    private readonly ModuleList<DecoderLayer> layers;

    [ComponentName(Name = "norm")]
    private readonly RmsNorm norm;

    [ComponentName(Name = "rotary_emb")]
    private readonly RotaryEmbedding rotary;

    public TransformerBody(TransformerConfig config, Device device, ScalarType dtype) : base(nameof(TransformerBody))
    {
        groups = config.NumAttentionHeads / config.NumKeyValueHeads;
        embedTokens = nn.Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        layers = new ModuleList<DecoderLayer>(
            Enumerable.Range(0, config.NumLayers).Select(_ => new DecoderLayer(config, device, dtype)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        rotary = new RotaryEmbedding(config.EffectiveHeadDim, config.RopeTheta, device);
        RegisterComponents();
    }

    /// <summary>The token embedding matrix <c>[V, H]</c>.</summary>
    public Parameter EmbeddingWeight => embedTokens.weight!;

    /// <summary>Looks up token embeddings: ids <c>[B, L]</c> → <c>[B, L, H]</c>.</summary>
    public Tensor Embed(Tensor ids) => embedTokens.forward(ids);

    /// <summary>Runs every layer and the final norm over <paramref name="embeddings"/> <c>[B, L, H]</c>.</summary>
    public Tensor Forward(Tensor embeddings, Tensor positionIds, AttentionSpec spec, KeyValueCache? cache)
    {
        using var scope = torch.NewDisposeScope();
        var plan = AttentionPlan.Create(spec, embeddings.shape[1], cache?.Length ?? 0, groups, embeddings.dtype, embeddings.device);
        var (cos, signedSin) = rotary.Tables(positionIds, embeddings.dtype);  // [B, 1, L, D] each
        var x = embeddings;
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].Forward(x, cos, signedSin, plan, cache, i);          // [B, L, H]
        }

        return norm.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>Replaces the embedding matrix (used to grow the vocabulary).</summary>
    public void SetEmbeddingWeight(Parameter weight) => embedTokens.weight = weight;
}

/// <summary>
/// A Llama-family causal language model (Llama, Mistral, Qwen2, llama2.c). Its state dict uses Hugging Face names
/// (<c>model.layers.0.self_attn.q_proj.weight</c>, …, <c>lm_head.weight</c> when untied). It knows nothing of
/// thoughts. Its general forward entry is internal: the library drives it (the objective, generation, evaluation)
/// through <c>ModelInput</c> (ids or embeddings, positions, attention, cache), and a custom thought generator through the
/// algorithm's <c>ThoughtRequest</c>. In public it is the module that holds the weights: its configuration, device
/// and dtype, loading and reading the weights, growing the vocabulary, the plain causal pass <see cref="Logits"/>, and
/// <see cref="ForwardStarting"/> / <see cref="ForwardCompleted"/> for profiling.
/// </summary>
public sealed class CausalLanguageModel : nn.Module
{
    [ComponentName(Name = "model")]
    private readonly TransformerBody body;

    [ComponentName(Name = "lm_head")]
    private Linear? lmHead;

    /// <summary>Creates a model with uninitialised weights on <paramref name="device"/> in <paramref name="dtype"/>.</summary>
    /// <exception cref="InvalidOperationException">TorchSharp's native backend cannot be loaded; the message names the cause.</exception>
    public CausalLanguageModel(TransformerConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32)
        : base(TorchNative.EnsureLoaded(nameof(CausalLanguageModel)))  // the first torch touch of most applications
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Device = device ?? torch.CPU;
        DType = dtype;
        body = new TransformerBody(config, Device, dtype);
        lmHead = config.TieWordEmbeddings
            ? null
            : nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: Device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>The model's hyper-parameters (the vocabulary size follows <see cref="ResizeVocabulary"/>).</summary>
    public TransformerConfig Config { get; private set; }

    /// <summary>The device the parameters live on.</summary>
    public Device Device { get; }

    /// <summary>The parameter dtype.</summary>
    public ScalarType DType { get; }

    /// <summary>The token embedding matrix <c>[V, H]</c>.</summary>
    public Parameter EmbeddingWeight => body.EmbeddingWeight;

    /// <summary>The classifier matrix <c>[V, H]</c> (the embedding matrix when tied).</summary>
    public Parameter ClassifierWeight => lmHead?.weight ?? body.EmbeddingWeight;

    /// <summary>Looks up token embeddings: ids <c>[B, L]</c> → <c>[B, L, H]</c>.</summary>
    public Tensor Embed(Tensor ids)
    {
        CheckIds(ids);
        return body.Embed(ids);
    }

    /// <summary>Applies the classifier: hidden <c>[..., H]</c> → logits <c>[..., V]</c>.</summary>
    public Tensor ComputeLogits(Tensor hidden) => nn.functional.linear(hidden, ClassifierWeight);

    /// <summary>
    /// The plain causal forward pass: token ids <c>[B, L]</c> (int64) → next-token logits <c>[B, L, V]</c> in the model's
    /// dtype, position t predicting token t + 1, each position attending to itself and the real tokens before it. No
    /// thoughts and no cache; autograd records it when gradients are enabled, so it serves scoring, a perplexity of
    /// one's own, distillation or a custom loss.
    /// </summary>
    /// <remarks>
    /// Positions are 0 … L − 1 in every row, padding included; with left padding a row's logits equal those of its
    /// unpadded tokens alone up to float rounding, because rotary attention depends only on relative positions.
    /// </remarks>
    /// <param name="inputIds">Token ids <c>[B, L]</c> (int64) on <see cref="Device"/>, inside the vocabulary, L within the context.</param>
    /// <param name="isReal">Boolean <c>[B, L]</c>, false at padding (padded keys are never attended to); null when nothing is padded.</param>
    /// <exception cref="ArgumentException">The ids are not int64 <c>[B, L]</c>, hold an id outside the vocabulary, or are longer than the context; or <paramref name="isReal"/> is not boolean, of the ids' shape, on their device.</exception>
    public Tensor Logits(Tensor inputIds, Tensor? isReal = null)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        if (isReal is not null && (!isReal.shape.SequenceEqual(inputIds.shape) || isReal.device_type != inputIds.device_type || isReal.device_index != inputIds.device_index))
        {
            throw new ArgumentException(
                $"The padding mask must match the ids: [{string.Join(", ", inputIds.shape)}] on {inputIds.device}; got [{string.Join(", ", isReal.shape)}] on {isReal.device}.",
                nameof(isReal));
        }

        return Forward(new ModelInput
        {
            InputIds = inputIds,
            Attention = isReal is null ? AttentionSpec.Causal() : AttentionSpec.CausalWithPadding(isReal),
        }).Logits!;                                                                                   // [B, L, V]
    }

    /// <summary>
    /// Raised on the calling thread when a general forward pass of the model begins, before its input is checked: every
    /// pass of training (the base pass, each thought and talk step), evaluation's scoring passes, <see cref="Logits"/>,
    /// and the prompt (prefill) of generation. Generation's per-token decoding steps run a lean copy of the weights
    /// and do not raise it. With <see cref="ForwardCompleted"/>, what a profiler needs to time each pass. A handler must
    /// not call the model (that pass would raise the event again).
    /// </summary>
    public event EventHandler? ForwardStarting;

    /// <summary>
    /// Raised on the calling thread when a general forward pass (see <see cref="ForwardStarting"/>) has computed its
    /// hidden states (and logits, when the pass asked for them); not raised when the pass throws.
    /// </summary>
    public event EventHandler? ForwardCompleted;

    /// <summary>Raised with the input of every forward pass as it begins, after <see cref="ForwardStarting"/>: for the library's tests.</summary>
    internal event Action<ModelInput>? Feeding;

    /// <summary>Runs the model, raising <see cref="ForwardStarting"/> and <see cref="ForwardCompleted"/> around the pass.</summary>
    /// <exception cref="ArgumentException">The input is inconsistent (both or neither of ids and embeddings, wrong shapes, ids outside the vocabulary, sequence beyond the context).</exception>
    internal ModelOutput Forward(ModelInput input)
    {
        ForwardStarting?.Invoke(this, EventArgs.Empty);
        Feeding?.Invoke(input);
        var output = Run(input);
        ForwardCompleted?.Invoke(this, EventArgs.Empty);
        return output;
    }

    private ModelOutput Run(ModelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = torch.NewDisposeScope();
        var embeddings = (input.InputIds, input.InputEmbeddings) switch
        {
            ({ } ids, null) => Embed(ids),
            (null, { } e) => CheckEmbeddings(e),
            _ => throw new ArgumentException("Pass exactly one of InputIds and InputEmbeddings.", nameof(input)),
        };                                                                               // [B, L, H]
        var positions = input.PositionIds ?? DefaultPositions(embeddings, input.Cache);  // [B, L]
        if (positions.dim() != 2 || positions.shape[0] != embeddings.shape[0] || positions.shape[1] != embeddings.shape[1])
        {
            throw new ArgumentException(
                $"PositionIds has shape [{string.Join(", ", positions.shape)}]; expected [{embeddings.shape[0]}, {embeddings.shape[1]}].");
        }

        var hidden = body.Forward(embeddings, positions, input.Attention, input.Cache);   // [B, L, H]
        var logits = input.ComputeLogits ? ComputeLogits(hidden) : null;                   // [B, L, V]
        return new ModelOutput(hidden.MoveToOuterDisposeScope(), logits?.MoveToOuterDisposeScope());
    }

    /// <summary>Initialises every weight as Hugging Face does for a fresh model: Normal(0, <paramref name="std"/>), norms to 1, biases to 0.</summary>
    public void InitializeWeights(Generator generator, double std = 0.02)
    {
        ArgumentNullException.ThrowIfNull(generator);
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                p.fill_(1.0);
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                p.zero_();
            }
            else
            {
                p.normal_(0.0, std, generator);
            }
        }
    }

    /// <summary>Copies weights (Hugging Face names) into the model, converting dtype and device.</summary>
    /// <exception cref="InvalidDataException">A weight is missing, unexpected or has the wrong shape; the message names it.</exception>
    public void LoadWeights(IReadOnlyDictionary<string, Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var parameters = named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var missing = parameters.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"Checkpoint lacks {missing.Count} weight(s) the model needs: {string.Join(", ", missing.Take(5))}.");
        }

        var unexpected = weights.Keys.Where(k => !parameters.ContainsKey(k) && !k.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)).ToList();
        if (unexpected.Count > 0)
        {
            throw new InvalidDataException(
                $"Checkpoint has {unexpected.Count} weight(s) this {Config.ModelType} model does not: {string.Join(", ", unexpected.Take(5))}.");
        }

        using var noGrad = torch.no_grad();
        foreach (var (name, p) in parameters)
        {
            var source = weights[name];
            if (!source.shape.SequenceEqual(p.shape))
            {
                throw new InvalidDataException(
                    $"Weight '{name}' has shape [{string.Join(", ", source.shape)}]; the configuration needs [{string.Join(", ", p.shape)}].");
            }

            p.copy_(source);
        }
    }

    /// <summary>The model's weights under their Hugging Face names (live parameter tensors; do not dispose).</summary>
    public IReadOnlyDictionary<string, Tensor> Weights() =>
        named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

    /// <summary>
    /// Grows the vocabulary to <paramref name="newSize"/> rows (e.g. for extra special tokens), keeping the existing
    /// rows and drawing the new ones from Normal(0, <paramref name="std"/>), as Hugging Face's resize does. With tied
    /// embeddings the classifier grows with them.
    /// </summary>
    public void ResizeVocabulary(int newSize, Generator generator, double std = 0.02)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (newSize < Config.VocabSize)
        {
            throw new ArgumentOutOfRangeException(nameof(newSize), $"Cannot shrink the vocabulary from {Config.VocabSize} to {newSize}.");
        }

        if (newSize == Config.VocabSize)
        {
            return;
        }

        body.SetEmbeddingWeight(Grow(body.EmbeddingWeight, newSize, generator, std));
        if (lmHead is not null)
        {
            lmHead.weight = Grow(lmHead.weight!, newSize, generator, std);
        }

        Config = Config with { VocabSize = newSize };
    }

    private Parameter Grow(Tensor old, int rows, Generator generator, double std)
    {
        using var noGrad = torch.no_grad();
        var extra = torch.empty(rows - old.shape[0], old.shape[1], dtype: DType, device: Device).normal_(0.0, std, generator);
        return nn.Parameter(torch.cat([old, extra], dim: 0));
    }

    private void CheckIds(Tensor ids)
    {
        if (ids.dtype != ScalarType.Int64 || ids.dim() != 2)
        {
            throw new ArgumentException($"InputIds must be int64 [B, L]; got {ids.dtype} [{string.Join(", ", ids.shape)}].");
        }

        if (ids.numel() > 0)
        {
            long min = ids.min().item<long>(), max = ids.max().item<long>();
            if (min < 0 || max >= Config.VocabSize)
            {
                throw new ArgumentException(
                    $"Token id {(min < 0 ? min : max)} is outside the model's vocabulary [0, {Config.VocabSize}). Does the tokenizer match the model?");
            }
        }
    }

    private Tensor CheckEmbeddings(Tensor e)
    {
        if (e.dim() != 3 || e.shape[2] != Config.HiddenSize)
        {
            throw new ArgumentException($"InputEmbeddings must be [B, L, {Config.HiddenSize}]; got [{string.Join(", ", e.shape)}].");
        }

        return e.dtype == DType ? e : e.to_type(DType);
    }

    private Tensor DefaultPositions(Tensor embeddings, KeyValueCache? cache)
    {
        long b = embeddings.shape[0], l = embeddings.shape[1], start = cache?.Length ?? 0;
        if (start + l > Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"The sequence reaches {start + l} tokens but the model's context is {Config.MaxPositionEmbeddings}. Shorten the input.");
        }

        return torch.arange(start, start + l, dtype: ScalarType.Int64, device: Device).unsqueeze(0).expand(b, l);
    }
}
