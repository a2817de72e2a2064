using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Model;

/// <summary>
/// The float32 CPU kernel of the diagonal thought step's attention against the joint softmax written plainly in float64
/// (causal prefix keys and each position's own branch keys in one softmax): output and every input gradient, at shapes
/// that exercise the vector loop, its scalar tail and grouped query heads.
/// </summary>
public sealed class CpuBranchAttentionTests
{
    // float32 against float64: a few units in the last place of float32 over sums of ≤ 40 terms.
    private const double Tolerance = 2e-5;

    [Theory]
    [InlineData(2, 4, 2, 19, 8, 3, 1.0, false)]   // grouped heads (g = 2), L not a multiple of 8 or 16
    [InlineData(1, 2, 2, 9, 6, 1, 1.0, false)]    // one group, D not a multiple of 8, one branch block
    [InlineData(3, 6, 2, 33, 16, 5, 1.0, false)]  // g = 3, D = 16
    [InlineData(1, 3, 1, 21, 8, 2, 1.0, false)]   // one key/value head for three query heads: backward is one task
    [InlineData(1, 2, 1, 40, 8, 2, 40.0, false)]  // scores of ±hundreds: probabilities underflow to 0 (the exponential's clamp), masked lanes overflow
    [InlineData(3, 4, 2, 27, 8, 3, 1.0, true)]    // padded keys: right padding, left padding, and one row with holes
    public void Kernel_equals_the_float64_joint_softmax_in_output_and_every_gradient(
        int b, int heads, int kvHeads, int l, int d, int n, double queryScale, bool padded)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(61);
        Tensor Leaf(params long[] shape) => torch.randn(shape, dtype: ScalarType.Float64, generator: generator).requires_grad_(true);
        var q = (torch.randn([b, heads, l, d], dtype: ScalarType.Float64, generator: generator) * queryScale).requires_grad_(true);
        var (k, v) = (Leaf(b, kvHeads, l, d), Leaf(b, kvHeads, l, d));
        var ownKeys = Enumerable.Range(0, n).Select(_ => Leaf(b, kvHeads, l, d)).ToList();
        var ownValues = Enumerable.Range(0, n).Select(_ => Leaf(b, kvHeads, l, d)).ToList();
        var upstream = torch.randn([b, heads, l, d], dtype: ScalarType.Float64, generator: generator);
        double scale = 1.0 / Math.Sqrt(d);
        Tensor[] inputs = [q, k, v, .. ownKeys, .. ownValues];
        var keyIsReal = torch.ones(b, l, dtype: ScalarType.Bool);                                         // [B, L]
        if (padded)
        {
            keyIsReal[0, (l - 9)..] = false;                                                               // right padding
            keyIsReal[1, ..5] = false;                                                                     // left padding: queries 0 … 4 see their own key and the branch keys
            keyIsReal[2, 3] = false;                                                                       // holes
            keyIsReal[2, 17] = false;
        }

        var expected = Reference(q, k, v, ownKeys, ownValues, scale, keyIsReal);
        var expectedGrads = torch.autograd.grad([(expected * upstream).sum()], inputs);

        var f32 = inputs.Select(t => t.detach().to_type(ScalarType.Float32).requires_grad_(true)).ToArray();
        var (kT, vT) = CpuBranchAttention.TransposedPrefix(f32[1], f32[2]);
        var bias = CpuBranchAttention.KeyBias(padded ? keyIsReal : null, b, l);
        var actual = CpuBranchAttention.apply([f32[0], kT, vT, bias, scale, padded, .. f32.Skip(3)]);
        var actualGrads = torch.autograd.grad([(actual * upstream.to_type(ScalarType.Float32)).sum()], f32);

        MaxRelative(actual, expected).Should().BeLessThan(Tolerance);
        for (int i = 0; i < inputs.Length; i++)
        {
            MaxRelative(actualGrads[i], expectedGrads[i]).Should().BeLessThan(Tolerance, $"gradient of input {i}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Through_the_model_the_kernels_diagonal_step_equals_the_masked_strategy_in_float32(bool padded)
    {
        // The kernel runs on float32 CPU batches, padded or not. The masked strategy computes the same joint softmax through
        // SDPA with an explicit [tril∘pad | I | … | I] mask, so loss and gradients agree to float32 rounding; this covers the
        // block order across steps, the cached transposed prefix and the gradient through it into the keys.
        using var scope = torch.NewDisposeScope();
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            // Where the hardware has AVX2 and FMA the diagonal step must take the kernel; elsewhere both sides run SDPA.
            CpuBranchAttention.Supports(torch.zeros(2, 4, 23, 8), 5).Should().BeTrue();
        }

        var ids = TinyModels.RandomIds(2, 23, 96, seed: 6);
        var isReal = torch.ones(2, 23, dtype: ScalarType.Bool);
        if (padded)
        {
            // Right padding alone would not test the mask: only padded queries, whose losses are 0, see padded keys. Left
            // padding does: real queries 4 … 16 of row 1 must not see keys 0 … 3.
            isReal[1, ..4] = false;
            isReal[1, 17..] = false;
        }

        var (lossD, gradsD) = TinyQuietStar.LossAndGradients(ThoughtAttention.Diagonal, ids, isReal, ScalarType.Float32);
        var (lossM, gradsM) = TinyQuietStar.LossAndGradients(ThoughtAttention.Masked, ids, isReal, ScalarType.Float32);

        Math.Abs(lossD - lossM).Should().BeLessThan(1e-5 * Math.Abs(lossM));
        gradsD.Keys.Should().BeEquivalentTo(gradsM.Keys);
        foreach (var (name, g) in gradsD)
        {
            MaxRelative(g.to_type(ScalarType.Float64), gradsM[name].to_type(ScalarType.Float64)).Should().BeLessThan(1e-4, name);
        }

        TinyQuietStar.MaxAbs(gradsD["thought_embeddings.start_embedding"]).Should().BeGreaterThan(0);
    }

    [Fact]
    public void The_plan_hands_the_kernel_only_the_objectives_prefix_mask_form()
    {
        // A mask the kernel would misread must never reach it: only (tril ∘ real key) ∨ self is recognised, with its real
        // keys; a plain causal mask takes SDPA's causal path; anything else keeps the additive mask (SDPA).
        using var scope = torch.NewDisposeScope();
        const int l = 6;
        var real = torch.tensor(new[] { false, true, true, false, true, true }).unsqueeze(0);                 // [1, L]
        var causal = torch.ones(l, l, dtype: ScalarType.Bool).tril();
        var self = torch.eye(l, dtype: ScalarType.Bool);
        var objective = causal.logical_and(real.unsqueeze(1)).logical_or(self).unsqueeze(1);                 // [1, 1, L, L]
        AttentionPlan Plan(Tensor mask, ScalarType dtype = ScalarType.Float32) =>
            AttentionPlan.Create(AttentionSpec.Branches(mask), l, l, groups: 2, dtype, torch.CPU);

        var recognised = Plan(objective);
        recognised.IsCausal.Should().BeFalse();
        recognised.KeyIsReal.Should().NotBeNull();
        recognised.KeyIsReal!.narrow(1, 0, l - 1).eq(real.narrow(1, 0, l - 1)).all().item<bool>().Should().BeTrue("keys 0 … L−2 as given");

        Plan(causal.unsqueeze(0).unsqueeze(0)).IsCausal.Should().BeTrue("no padding: SDPA's causal path, no key bias");
        Plan(causal.logical_and(real.unsqueeze(1)).unsqueeze(1)).KeyIsReal.Should().BeNull("without the own key t");
        var hole = objective.clone();
        hole[0, 0, 4, 2] = false;                                                                             // one query loses one real key
        Plan(hole).KeyIsReal.Should().BeNull("not of the form");
        Plan(objective, ScalarType.Float64).KeyIsReal.Should().BeNull("the kernel runs in float32 only");

        // A [1, L] mask serves every row of the batch: the bias is the same row B times, −∞ exactly at the padded keys, 0 past L.
        var bias = CpuBranchAttention.KeyBias(recognised.KeyIsReal, batch: 3, length: l);                      // [3, 16]
        bias.shape.Should().Equal(3, 16);
        bias.narrow(1, 0, l).isinf().eq(real.logical_not().expand(3, l)).all().item<bool>().Should().BeTrue();
        bias.narrow(1, l, 16 - l).eq(0).all().item<bool>().Should().BeTrue();
    }

    /// <summary>
    /// Query t attends to the real prefix keys among 0 … t − 1, its own key t, and the n keys at position t, one softmax;
    /// <c>[B, nH, L, D]</c>.
    /// </summary>
    private static Tensor Reference(Tensor q, Tensor k, Tensor v, List<Tensor> ownKeys, List<Tensor> ownValues, double scale, Tensor keyIsReal)
    {
        long heads = q.shape[1], l = q.shape[2], groups = heads / k.shape[1];
        var kH = k.repeat_interleave(groups, dim: 1);                                                    // [B, nH, L, D]
        var vH = v.repeat_interleave(groups, dim: 1);
        var prefixScores = torch.matmul(q, kH.transpose(-1, -2)) * scale;                                // [B, nH, L, L]
        var causal = torch.ones(l, l, dtype: ScalarType.Bool).tril();
        var self = torch.eye(l, dtype: ScalarType.Bool);
        var allowed = causal.unsqueeze(0).logical_and(keyIsReal.unsqueeze(1)).logical_or(self).unsqueeze(1); // [B, 1, L, L]: the objective's prefix mask
        prefixScores = prefixScores.masked_fill(allowed.logical_not(), double.NegativeInfinity);
        var ownK = torch.stack(ownKeys, dim: 3).repeat_interleave(groups, dim: 1);                       // [B, nH, L, n, D]
        var ownV = torch.stack(ownValues, dim: 3).repeat_interleave(groups, dim: 1);
        var ownScores = (q.unsqueeze(3) * ownK).sum(-1) * scale;                                         // [B, nH, L, n]
        var probs = torch.cat([prefixScores, ownScores], dim: -1).softmax(-1);                           // [B, nH, L, L + n]
        var fromPrefix = torch.matmul(probs.narrow(-1, 0, l), vH);                                        // [B, nH, L, D]
        var fromOwn = (probs.narrow(-1, l, ownKeys.Count).unsqueeze(-1) * ownV).sum(3);                  // [B, nH, L, D]
        return fromPrefix + fromOwn;
    }

    private static double MaxRelative(Tensor actual, Tensor expected) =>
        ((actual.to_type(ScalarType.Float64) - expected).abs().max() / expected.abs().max()).item<double>();
}
