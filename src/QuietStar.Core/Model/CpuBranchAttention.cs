using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>
/// The diagonal thought step's attention on the CPU in float32, as one kernel: query t of head h attends to the causal
/// prefix keys 0 … t of its key/value head (padded keys excluded, its own key t always seen, as in the objective's prefix
/// mask) and to the keys at position t of the n branch blocks, in one softmax. It computes the softmax
/// <see cref="SelfAttention"/>'s SDPA path computes (the prefix through SDPA with a "sink" key carrying the branch keys'
/// log-sum-exp), without widening the head to D' (8 → 16 at stories260K), repeating the keys per query head, or the
/// per-position batched products of the branch keys; the floats differ from SDPA's by rounding (the order of the sums,
/// the exponential), checked against a float64 oracle in the tests.
/// <para>
/// Why a kernel here: at head widths of 8–16 libtorch's CPU flash attention spends its time in per-block overhead and
/// tiny matrix products (15 ms forward + backward per layer and thought step at the reference configuration,
/// <c>docs/benchmarks/perf/attention</c>; about 40 % of the training step in a profile, <c>docs/benchmarks/perf/kernel</c>).
/// This kernel vectorises over keys (8 lanes), reads
/// the prefix keys and values in transposed chunks of 8 (<c>[B, nKV, Lp/8, D, 8]</c>, built once per layer and step), and keeps only the
/// output and the per-query log-sum-exp for backward, which recomputes the probabilities (as flash attention does).
/// </para>
/// <para>
/// A key after position t (or a padded key) gets probability exactly 0, but the chunks around it still enter products with
/// that 0: in forward the values of up to 7 keys after t, in backward the keys of up to 15 keys after t (dq). An inf or NaN
/// there (a base pass that has already diverged) reaches query t as NaN, as it would in SDPA's partly masked blocks.
/// </para>
/// Inputs: q <c>[B, nH, L, D]</c>, kᵀ and vᵀ <c>[B, nKV, Lp/8, D, 8]</c> from <see cref="TransposedPrefix"/> (Lp = ⌈L/16⌉·16),
/// the key bias <c>[B|1, Lp]</c> from <see cref="KeyBias"/> (padding; one row serves every row of the batch), the scale, whether any key is padding (if not, the
/// bias is skipped), then n branch keys and n branch values <c>[B, nKV, L, D]</c>, all contiguous float32 on the CPU;
/// output <c>[B, nH, L, D]</c>.
/// </summary>
internal sealed class CpuBranchAttention : torch.autograd.SingleTensorFunction<CpuBranchAttention>
{
    private const int Lanes = 8;
    private const int Block = 2 * Lanes; // the prefix is padded with zero keys to a multiple of this, so every chunk is whole

    public override string Name => nameof(CpuBranchAttention);

    /// <summary>
    /// Whether the kernel can run a step with <paramref name="branchBlocks"/> branch blocks (this one included): float32
    /// queries on the CPU with 256-bit vectors, and every tensor it reads (the n blocks stacked, the padded prefix) small
    /// enough to address as one span. Elsewhere (CUDA, float64, bf16) the SDPA path runs.
    /// </summary>
    public static bool Supports(Tensor query, int branchBlocks)
    {
        long padded = RoundUp(query.shape[2], Block);
        long largest = query.shape[0] * query.shape[1] * query.shape[3] * Math.Max(padded, query.shape[2] * (long)branchBlocks); // elements
        return query.device_type == DeviceType.CPU
            && query.dtype == ScalarType.Float32
            && Vector256.IsHardwareAccelerated
            && System.Runtime.Intrinsics.X86.Fma.IsSupported                                      // else FusedMultiplyAdd is emulated: correct, but slow
            && largest * sizeof(float) < int.MaxValue;
    }

    /// <summary>
    /// The prefix form the kernel reads: keys and values padded with zero keys to Lp = ⌈L/16⌉·16 and laid out in chunks
    /// of 8 keys, each chunk transposed, <c>[B, nKV, Lp/8, D, 8]</c>: channel c of keys j … j+7 is 8 adjacent floats, and a
    /// chunk's D rows are adjacent too (autograd sees the padding and the transpose). Built once per layer and step.
    /// </summary>
    public static (Tensor Keys, Tensor Values) TransposedPrefix(Tensor keys, Tensor values) => (Chunked(keys), Chunked(values));

    /// <summary>
    /// The prefix keys' additive bias <c>[B, Lp]</c> in float32: 0 for a real key, −∞ for padding (<paramref name="keyIsReal"/>
    /// <c>[B|1, L]</c>, or null when no key is padding); 0 past L, where the causal limit masks anyway. The kernel applies
    /// it to every key but the query's own (key t for query t), which is always seen, as in the objective's prefix mask.
    /// </summary>
    public static Tensor KeyBias(Tensor? keyIsReal, long batch, long length)
    {
        long padded = RoundUp(length, Block);
        var device = keyIsReal?.device ?? torch.CPU;
        var bias = torch.zeros(batch, padded, dtype: ScalarType.Float32, device: device);          // [B, Lp]
        if (keyIsReal is not null)
        {
            using var negativeInfinity = double.NegativeInfinity.ToScalar();                      // held through the call (docs/build.md)
            bias.narrow(1, 0, length).masked_fill_(keyIsReal.expand(batch, length).logical_not(), negativeInfinity);
        }

        return bias;
    }

    /// <summary><c>[B, nKV, L, D]</c> → <c>[B, nKV, Lp/8, D, 8]</c>.</summary>
    private static Tensor Chunked(Tensor x)
    {
        long b = x.shape[0], heads = x.shape[1], l = x.shape[2], d = x.shape[3];
        long padded = RoundUp(l, Block);
        return nn.functional.pad(x, [0, 0, 0, padded - l])                                        // [B, nKV, Lp, D]
            .view(b, heads, padded / Lanes, Lanes, d).transpose(-1, -2).contiguous();              // [B, nKV, Lp/8, D, 8]
    }

    public override Tensor forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var (q, kT, vT, keyBias, scale, padded, branchKeys, branchValues) = Unpack(vars);
        CheckInputs(q, kT, vT, keyBias, branchKeys, branchValues);
        var shape = Shape.Of(q, kT, keyBias, branchKeys.Count, padded);
        var output = torch.empty(q.shape, dtype: q.dtype, device: q.device);                     // [B, nH, L, D]
        var lse = torch.empty(shape.B, shape.Heads, shape.L, dtype: q.dtype, device: q.device);   // [B, nH, L]
        using var ownKeys = torch.stack(branchKeys, dim: 3);                                     // [B, nKV, L, n, D]
        using var ownValues = torch.stack(branchValues, dim: 3);                                 // [B, nKV, L, n, D]
        Run(shape.B * shape.Heads, task => Forward(task, shape, (float)scale, q, kT, vT, keyBias, ownKeys, ownValues, output, lse));
        BackwardStash.Save(ctx, [q, kT, vT, keyBias, output, lse, .. branchKeys, .. branchValues]);
        ctx.save_data("scale", scale);
        ctx.save_data("padded", padded);
        return output;
    }

    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, Tensor gradOutput)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var saved = BackwardStash.Take(ctx);
        var (q, kT, vT, keyBias, output, lse) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5]);
        int n = (saved.Count - 6) / 2;
        var ownKeys = torch.stack(saved.Tensors.Skip(6).Take(n), dim: 3);                        // [B, nKV, L, n, D]
        var ownValues = torch.stack(saved.Tensors.Skip(6 + n), dim: 3);                          // [B, nKV, L, n, D]
        double scale = (double)ctx.get_data("scale");
        var shape = Shape.Of(q, kT, keyBias, n, (bool)ctx.get_data("padded"));
        var dOut = gradOutput.to_type(q.dtype).contiguous();                                      // [B, nH, L, D]
        var dq = torch.empty(q.shape, dtype: q.dtype, device: q.device);
        var dkT = torch.zeros(kT.shape, dtype: q.dtype, device: q.device);                        // [B, nKV, Lp/8, D, 8]
        var dvT = torch.zeros(vT.shape, dtype: q.dtype, device: q.device);
        var dOwnKeys = torch.zeros_like(ownKeys);                                                 // [B, nKV, L, n, D]
        var dOwnValues = torch.zeros_like(ownValues);
        Run(shape.B * shape.KvHeads, task => Backward(task, shape, (float)scale, q, kT, vT, keyBias, output, lse, ownKeys, ownValues, dOut, dq, dkT, dvT, dOwnKeys, dOwnValues));
        List<Tensor> grads = [dq, dkT, dvT, null!, null!, null!, .. dOwnKeys.unbind(3), .. dOwnValues.unbind(3)]; // the key bias, the scale and the flag get none
        foreach (var grad in grads.Where(g => g is not null))
        {
            grad.MoveToOuterDisposeScope();
        }

        return grads;
    }

    /// <summary>
    /// The kernel reads and writes memory without bounds checks, so every shape is checked here, in forward (an exception
    /// in backward would end the process).
    /// </summary>
    private static void CheckInputs(Tensor q, Tensor kT, Tensor vT, Tensor keyBias, List<Tensor> keys, List<Tensor> values)
    {
        if (q.dim() != 4 || kT.dim() != 5)
        {
            throw new ArgumentException($"CpuBranchAttention expects q [B, nH, L, D] and kᵀ [B, nKV, Lp/8, D, 8]; got {Describe(q)} and {Describe(kT)}.");
        }

        long b = q.shape[0], heads = q.shape[1], l = q.shape[2], d = q.shape[3], kvHeads = kT.shape[1];
        long padded = RoundUp(l, Block);
        long[] prefix = [b, kvHeads, padded / Lanes, d, Lanes], block = [b, kvHeads, l, d];
        bool ok = kvHeads > 0 && heads % kvHeads == 0 && keys.Count >= 1 && keys.Count == values.Count
            && kT.shape.SequenceEqual(prefix) && vT.shape.SequenceEqual(prefix) && (keyBias.shape.SequenceEqual(new[] { b, padded }) || keyBias.shape.SequenceEqual(new[] { 1, padded }))
            && keys.Concat(values).All(t => t.shape.SequenceEqual(block));
        bool layout = new[] { q, kT, vT, keyBias }.Concat(keys).Concat(values)
            .All(t => t.dtype == ScalarType.Float32 && t.device_type == DeviceType.CPU && t.is_contiguous());
        if (!ok || !layout)
        {
            throw new ArgumentException(
                $"CpuBranchAttention expects contiguous float32 CPU tensors: q [B, nH, L, D], kᵀ and vᵀ [B, nKV, Lp/8, D, 8] with Lp = ⌈L/16⌉·16 "
                + $"(TransposedPrefix) with nH a multiple of nKV, the key bias [B|1, Lp] (KeyBias), and n ≥ 1 branch keys and values [B, nKV, L, D]; "
                + $"got q {Describe(q)}, kᵀ {Describe(kT)}, vᵀ {Describe(vT)}, bias {Describe(keyBias)}, {keys.Count} keys, {values.Count} values.");
        }
    }

    private static string Describe(Tensor t) => $"[{string.Join(", ", t.shape)}] {t.dtype}";

    private static (Tensor Q, Tensor KT, Tensor VT, Tensor KeyBias, double Scale, bool Padded, List<Tensor> Keys, List<Tensor> Values) Unpack(object[] vars)
    {
        int n = (vars.Length - 6) / 2;
        var tensors = vars.Skip(6).Cast<Tensor>().ToList();
        return ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (double)vars[4], (bool)vars[5], tensors.GetRange(0, n), tensors.GetRange(n, n));
    }

    /// <summary>Runs <paramref name="body"/> for tasks 0 … count − 1 on as many threads as torch uses (one: in order, on this thread).</summary>
    private static void Run(long count, Action<int> body)
    {
        int threads = Math.Min(torch.get_num_threads(), (int)count);
        if (threads <= 1)
        {
            for (int task = 0; task < count; task++)
            {
                body(task);
            }

            return;
        }

        Parallel.For(0, (int)count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    private static Span<float> Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);

    /// <summary><paramref name="x"/> rounded up to a multiple of <paramref name="multiple"/>.</summary>
    private static long RoundUp(long x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>Forward for one (row, head): every query position's output and log-sum-exp.</summary>
    private static void Forward(int task, Shape s, float scale, Tensor qT, Tensor kTT, Tensor vTT, Tensor biasT, Tensor ownKeysT, Tensor ownValuesT, Tensor outT, Tensor lseT)
    {
        int b = task / s.Heads, h = task % s.Heads, kv = h / s.Groups, n = s.Branches, d = s.D, l = s.L, stride = s.Stride;
        ReadOnlySpan<float> q = Floats(qT), ownKeys = Floats(ownKeysT), ownValues = Floats(ownValuesT);
        Span<float> output = Floats(outT), lse = Floats(lseT);
        ref float kT = ref At(kTT, ((b * s.KvHeads) + kv) * d * stride);                           // [Lp/8, D, 8] of (b, kv)
        ref float vT = ref At(vTT, ((b * s.KvHeads) + kv) * d * stride);                           // [Lp/8, D, 8] of (b, kv)
        ref float bias = ref At(biasT, b * s.BiasRowStride);                                        // [Lp] of row b: 0, or −∞ for padding
        int branchChunks = (int)RoundUp(n, Lanes);
        // Prefix chunks, then the n branch scores (padded): on the stack up to 32 KiB, so the kernel allocates nothing on the
        // managed heap per task (fewer collections, and so fewer chances for TorchSharp's scalar race, docs/build.md).
        int length = stride + branchChunks;
        float[]? rented = length <= 8192 ? null : System.Buffers.ArrayPool<float>.Shared.Rent(length);
        Span<float> scores = rented is null ? stackalloc float[length] : rented.AsSpan(0, length);
        ref float p = ref MemoryMarshal.GetReference(scores);
        Span<Vector256<float>> qScaled = stackalloc Vector256<float>[d];                           // scale · q_c, broadcast
        Span<float> qs = stackalloc float[d];                                                       // scale · q
        Span<Vector256<float>> acc = stackalloc Vector256<float>[d];
        var lane = Vector256.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f);
        Span<float> fromBranches = stackalloc float[d];
        for (int t = 0; t < l; t++)
        {
            int row = (((b * s.Heads) + h) * l) + t;
            var qRow = q.Slice(row * d, d);
            for (int c = 0; c < d; c++)
            {
                qs[c] = qRow[c] * scale;
                qScaled[c] = Vector256.Create(qs[c]);
            }

            int m = t + 1;                                                                          // prefix keys 0 … t
            int chunks = (int)RoundUp(m, Lanes);                                                            // whole chunks; keys m … chunks − 1 masked out
            PrefixScores(qScaled, ref kT, chunks, ref p);
            var ownKey = Vector256.Create((float)t);
            for (int j = 0; s.Padded && j < chunks; j += Lanes)
            {
                var keyBias = Vector256.ConditionalSelect(Vector256.Equals(Vector256.Create((float)j) + lane, ownKey), default, Load(ref bias, j));
                Store(Load(ref p, j) + keyBias, ref p, j);                                          // padded keys to −∞, the own key kept
            }

            scores[m..chunks].Fill(float.NegativeInfinity);
            int own = ((((b * s.KvHeads) + kv) * l) + t) * n * d;                                   // position t's n branch keys [n, D]
            for (int i = 0; i < n; i++)
            {
                scores[chunks + i] = Dot(qs, ownKeys.Slice(own + (i * d), d));                      // as backward recomputes it
            }

            scores.Slice(chunks + n, branchChunks - n).Fill(float.NegativeInfinity);
            var probs = scores[..(chunks + branchChunks)];                                   // whole chunks: no scalar tail below
            float max = Max(probs);
            float sum = ExpInPlace(probs, max);                                                    // p ← exp(s − max), 0 where masked

            // Σ_j p_j v_j with one accumulator per channel: d independent chains over the key chunks.
            acc.Clear();
            for (int j = 0; j < chunks; j += Lanes)
            {
                var pj = Load(ref p, j);
                for (int c = 0; c < d; c++)
                {
                    acc[c] = Vector256.FusedMultiplyAdd(pj, Load(ref vT, (j * d) + (c * Lanes)), acc[c]);
                }
            }

            fromBranches.Clear();
            for (int i = 0; i < n; i++)
            {
                Axpy(scores[chunks + i], ownValues.Slice(own + (i * d), d), fromBranches);          // Σ_i p_i v_i
            }

            var outRow = output.Slice(row * d, d);
            float inv = 1f / sum;
            for (int c = 0; c < d; c++)
            {
                outRow[c] = (Vector256.Sum(acc[c]) + fromBranches[c]) * inv;
            }

            lse[row] = max + MathF.Log(sum);
        }

        if (rented is not null)
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Backward for one (row, key/value head): its g query heads' dq, and the gradients of its prefix keys and values and
    /// of its own branch keys and values (which only its queries read, so tasks never write the same numbers).
    /// </summary>
    private static void Backward(
        int task, Shape s, float scale, Tensor qT, Tensor kTT, Tensor vTT, Tensor biasT, Tensor outT, Tensor lseT, Tensor ownKeysT, Tensor ownValuesT,
        Tensor dOutT, Tensor dqT, Tensor dkTT, Tensor dvTT, Tensor dOwnKeysT, Tensor dOwnValuesT)
    {
        int b = task / s.KvHeads, kv = task % s.KvHeads, n = s.Branches, d = s.D, l = s.L, stride = s.Stride;
        ReadOnlySpan<float> q = Floats(qT), output = Floats(outT), lse = Floats(lseT), dOut = Floats(dOutT);
        ReadOnlySpan<float> ownKeys = Floats(ownKeysT), ownValues = Floats(ownValuesT);
        Span<float> dq = Floats(dqT), dOwnKeys = Floats(dOwnKeysT), dOwnValues = Floats(dOwnValuesT);
        int prefix = ((b * s.KvHeads) + kv) * d * stride;                                          // [Lp/8, D, 8] of (b, kv)
        ref float kT = ref At(kTT, prefix);
        ref float vT = ref At(vTT, prefix);
        ref float dkT = ref At(dkTT, prefix);
        ref float dvT = ref At(dvTT, prefix);
        ref float bias = ref At(biasT, b * s.BiasRowStride);                                        // [Lp] of row b
        Span<Vector256<float>> dqAcc = stackalloc Vector256<float>[d];
        Span<Vector256<float>> qv = stackalloc Vector256<float>[d];                                // scale · q_c, broadcast
        Span<Vector256<float>> dov = stackalloc Vector256<float>[d];                               // dO_c, broadcast
        Span<float> qScaled = stackalloc float[d];
        Span<float> branchP = stackalloc float[(int)RoundUp(n, Lanes)];                                   // the n branch probabilities (padded)
        for (int g = 0; g < s.Groups; g++)
        {
            int h = (kv * s.Groups) + g;
            for (int t = 0; t < l; t++)
            {
                int row = (((b * s.Heads) + h) * l) + t;
                var qRow = q.Slice(row * d, d);
                var doRow = dOut.Slice(row * d, d);
                var dqRow = dq.Slice(row * d, d);
                float delta = Dot(doRow, output.Slice(row * d, d));                               // Σ_j p_j (dO·v_j) = dO·O
                float rowLse = lse[row];
                for (int c = 0; c < d; c++)
                {
                    qScaled[c] = qRow[c] * scale;
                    qv[c] = Vector256.Create(qScaled[c]);
                    dov[c] = Vector256.Create(doRow[c]);
                }

                int m = t + 1;
                PrefixBackward(ref kT, ref vT, ref dkT, ref dvT, ref bias, s.Padded, qv, dov, dqAcc, m, rowLse, delta, dqRow);

                int own = ((((b * s.KvHeads) + kv) * l) + t) * n * d;                               // position t's n branch keys [n, D]
                branchP.Fill(float.NegativeInfinity);
                for (int i = 0; i < n; i++)
                {
                    branchP[i] = Dot(qScaled, ownKeys.Slice(own + (i * d), d)) - rowLse;
                }

                for (int i = 0; i < branchP.Length; i += Lanes)
                {
                    Exp(Vector256.Create(branchP.Slice(i, Lanes))).CopyTo(branchP.Slice(i, Lanes));
                }

                for (int i = 0; i < n; i++)
                {
                    var key = ownKeys.Slice(own + (i * d), d);
                    float p = branchP[i];
                    float ds = p * (Dot(doRow, ownValues.Slice(own + (i * d), d)) - delta);
                    Axpy(ds, key, dqRow);
                    Axpy(ds, qScaled, dOwnKeys.Slice(own + (i * d), d));
                    Axpy(p, doRow, dOwnValues.Slice(own + (i * d), d));
                }

                for (int c = 0; c < d; c++)
                {
                    dqRow[c] *= scale;                                                              // d(q·k·scale)/dq
                }
            }
        }
    }

    /// <summary>
    /// The prefix part of one query row's backward, any head width: d(score) of keys 0 … m − 1 recomputed chunk by chunk,
    /// dq's prefix part into <paramref name="dqRow"/>, dk and dv added in place (kᵀ, vᵀ, dkᵀ, dvᵀ at the row's (b, kv)).
    /// </summary>
    private static void PrefixBackward(
        ref float kT, ref float vT, ref float dkT, ref float dvT, ref float bias, bool padded, ReadOnlySpan<Vector256<float>> qv, ReadOnlySpan<Vector256<float>> dov,
        Span<Vector256<float>> dqAcc, int m, float rowLse, float delta, Span<float> dqRow)
    {
        int d = qv.Length, next = Lanes * d;
        var lane = Vector256.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f);
        dqAcc.Clear();
        var vLse = Vector256.Create(rowLse);
        var vDelta = Vector256.Create(delta);
        var last = Vector256.Create((float)m);
        var ownKey = Vector256.Create((float)(m - 1));                                               // the query's own key t = m − 1
        for (int j = 0; j < m; j += 2 * Lanes)
        {
            // Two chunks of keys at a time (four independent dot-product chains); keys ≥ m get p = 0.
            Vector256<float> s0 = default, s1 = default, dp0 = default, dp1 = default;
            for (int c = 0; c < d; c++)
            {
                int at = (j * d) + (c * Lanes);                                        // chunk j/8, channel c
                s0 = Vector256.FusedMultiplyAdd(qv[c], Load(ref kT, at), s0);
                s1 = Vector256.FusedMultiplyAdd(qv[c], Load(ref kT, at + next), s1);
                dp0 = Vector256.FusedMultiplyAdd(dov[c], Load(ref vT, at), dp0);
                dp1 = Vector256.FusedMultiplyAdd(dov[c], Load(ref vT, at + next), dp1);
            }

            var index = Vector256.Create((float)j) + lane;
            var keep0 = Vector256.LessThan(index, last);                                    // keys ≤ t, bit masks
            var keep1 = Vector256.LessThan(index + Vector256.Create((float)Lanes), last);
            if (padded)
            {
                s0 += Vector256.ConditionalSelect(Vector256.Equals(index, ownKey), default, Load(ref bias, j)); // padding, but never the own key
                s1 += Vector256.ConditionalSelect(Vector256.Equals(index + Vector256.Create((float)Lanes), ownKey), default, Load(ref bias, j + Lanes));
            }

            var p0 = Exp(s0 - vLse) & keep0;                                                // the probabilities, recomputed
            var p1 = Exp(s1 - vLse) & keep1;
            var ds0 = (p0 * (dp0 - vDelta)) & keep0;                                        // d(score)
            var ds1 = (p1 * (dp1 - vDelta)) & keep1;
            for (int c = 0; c < d; c++)
            {
                int at = (j * d) + (c * Lanes);                                        // chunk j/8, channel c
                dqAcc[c] = Vector256.FusedMultiplyAdd(ds1, Load(ref kT, at + next), Vector256.FusedMultiplyAdd(ds0, Load(ref kT, at), dqAcc[c]));
                Store(Vector256.FusedMultiplyAdd(ds0, qv[c], Load(ref dkT, at)), ref dkT, at);
                Store(Vector256.FusedMultiplyAdd(ds1, qv[c], Load(ref dkT, at + next)), ref dkT, at + next);
                Store(Vector256.FusedMultiplyAdd(p0, dov[c], Load(ref dvT, at)), ref dvT, at);
                Store(Vector256.FusedMultiplyAdd(p1, dov[c], Load(ref dvT, at + next)), ref dvT, at + next);
            }
        }

        for (int c = 0; c < d; c++)
        {
            dqRow[c] = Vector256.Sum(dqAcc[c]);
        }
    }

    /// <summary>
    /// p[j] = scale · q·k_j for the prefix keys j &lt; <paramref name="chunks"/> (a multiple of 8), k read from kᵀ
    /// <c>[Lp/8, D, 8]</c>; the query comes already scaled and broadcast per channel. Four chunks of keys at a time where it
    /// can, so that four dot products are in flight.
    /// </summary>
    private static void PrefixScores(ReadOnlySpan<Vector256<float>> qScaled, ref float kT, int chunks, ref float p)
    {
        int d = qScaled.Length, j = 0, next = Lanes * d;
        for (; j + (4 * Lanes) <= chunks; j += 4 * Lanes)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int c = 0; c < d; c++)
            {
                int at = (j * d) + (c * Lanes);                                        // chunk j/8, channel c
                var qc = qScaled[c];
                a0 = Vector256.FusedMultiplyAdd(qc, Load(ref kT, at), a0);
                a1 = Vector256.FusedMultiplyAdd(qc, Load(ref kT, at + next), a1);
                a2 = Vector256.FusedMultiplyAdd(qc, Load(ref kT, at + (2 * next)), a2);
                a3 = Vector256.FusedMultiplyAdd(qc, Load(ref kT, at + (3 * next)), a3);
            }

            Store(a0, ref p, j);
            Store(a1, ref p, j + Lanes);
            Store(a2, ref p, j + (2 * Lanes));
            Store(a3, ref p, j + (3 * Lanes));
        }

        for (; j < chunks; j += Lanes)
        {
            var a = Vector256<float>.Zero;
            for (int c = 0; c < d; c++)
            {
                a = Vector256.FusedMultiplyAdd(qScaled[c], Load(ref kT, (j * d) + (c * Lanes)), a);
            }

            Store(a, ref p, j);
        }
    }

    /// <summary>
    /// e^x in float32 for x ≤ 0 (scores minus their maximum or log-sum-exp): x = k·ln 2 + r with |r| ≤ ln 2 / 2, e^r by
    /// its Taylor polynomial to r⁷ (truncation below 6·10⁻⁹, under half a unit in the last place), times 2^k built in the
    /// exponent bits; 0 below −87.3, where 2^k would leave the normal range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Exp(Vector256<float> x)
    {
        var underflow = Vector256.LessThan(x, Vector256.Create(-87.3f));
        x = Vector256.Max(x, Vector256.Create(-87.3f));
        var k = Vector256.Round(x * Vector256.Create(1.44269504f));                               // round(x / ln 2)
        var r = Vector256.FusedMultiplyAdd(k, Vector256.Create(-0.693359375f), x);                 // x − k·ln 2 in two parts
        r = Vector256.FusedMultiplyAdd(k, Vector256.Create(2.12194440e-4f), r);
        var poly = Vector256.Create(1f / 5040f);
        poly = Vector256.FusedMultiplyAdd(poly, r, Vector256.Create(1f / 720f));
        poly = Vector256.FusedMultiplyAdd(poly, r, Vector256.Create(1f / 120f));
        poly = Vector256.FusedMultiplyAdd(poly, r, Vector256.Create(1f / 24f));
        poly = Vector256.FusedMultiplyAdd(poly, r, Vector256.Create(1f / 6f));
        poly = Vector256.FusedMultiplyAdd(poly, r, Vector256.Create(0.5f));
        poly = Vector256.FusedMultiplyAdd(poly, r, Vector256<float>.One);
        poly = Vector256.FusedMultiplyAdd(poly, r, Vector256<float>.One);
        var twoToK = Vector256.ShiftLeft(Vector256.ConvertToInt32(k) + Vector256.Create(127), 23).AsSingle();
        return Vector256.AndNot(poly * twoToK, underflow);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(ref float source, int offset) => Vector256.LoadUnsafe(ref source, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> value, ref float destination, int offset) => value.StoreUnsafe(ref destination, (nuint)offset);

    /// <summary>A reference to element <paramref name="offset"/> of a contiguous float32 tensor (the caller keeps to its bounds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float At(Tensor t, int offset) => ref Unsafe.Add(ref MemoryMarshal.GetReference(Floats(t)), offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int i = 0;
        var acc = Vector256<float>.Zero;
        for (; i + Lanes <= a.Length; i += Lanes)
        {
            acc = Vector256.FusedMultiplyAdd(Vector256.Create(a.Slice(i, Lanes)), Vector256.Create(b.Slice(i, Lanes)), acc);
        }

        float sum = Vector256.Sum(acc);
        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>y ← y + a·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        var va = Vector256.Create(a);
        for (; i + Lanes <= x.Length; i += Lanes)
        {
            var slot = y.Slice(i, Lanes);
            Vector256.FusedMultiplyAdd(va, Vector256.Create(x.Slice(i, Lanes)), Vector256.Create(slot)).CopyTo(slot);
        }

        for (; i < x.Length; i++)
        {
            y[i] += a * x[i];
        }
    }

    private static float Max(ReadOnlySpan<float> x)
    {
        float max = float.NegativeInfinity;
        int i = 0;
        if (x.Length >= Lanes)
        {
            var acc = Vector256.Create(float.NegativeInfinity);
            for (; i + Lanes <= x.Length; i += Lanes)
            {
                acc = Vector256.Max(acc, Vector256.Create(x.Slice(i, Lanes)));
            }

            for (int k = 0; k < Lanes; k++)
            {
                max = MathF.Max(max, acc[k]);
            }
        }

        for (; i < x.Length; i++)
        {
            max = MathF.Max(max, x[i]);
        }

        return max;
    }

    /// <summary>x ← exp(x − max) in place; returns the sum.</summary>
    private static float ExpInPlace(Span<float> x, float max)
    {
        int i = 0;
        var vMax = Vector256.Create(max);
        var acc = Vector256<float>.Zero;
        for (; i + Lanes <= x.Length; i += Lanes)
        {
            var slot = x.Slice(i, Lanes);
            var e = Exp(Vector256.Create(slot) - vMax);
            e.CopyTo(slot);
            acc += e;
        }

        float sum = Vector256.Sum(acc);
        for (; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }

        return sum;
    }

    /// <summary>The sizes of one call.</summary>
    private readonly record struct Shape(int B, int Heads, int KvHeads, int Groups, int L, int D, int Branches, int Stride, int BiasRowStride, bool Padded)
    {
        public static Shape Of(Tensor q, Tensor kT, Tensor keyBias, int branches, bool padded)
        {
            int heads = (int)q.shape[1], kvHeads = (int)kT.shape[1], stride = (int)kT.shape[2] * Lanes;
            int biasRowStride = keyBias.shape[0] == 1 ? 0 : stride;                               // one bias row shared by every row
            return new Shape((int)q.shape[0], heads, kvHeads, heads / kvHeads, (int)q.shape[2], (int)q.shape[3], branches, stride, biasRowStride, padded);
        }
    }
}
