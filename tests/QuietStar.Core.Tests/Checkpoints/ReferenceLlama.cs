using QuietStar.Core.Model;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Checkpoints;

/// <summary>
/// A minimal, unbatched Llama forward pass over Hugging Face-named weights (rotate-half RoPE), used only to check
/// that a converted checkpoint computes what the original did.
/// </summary>
internal static class ReferenceLlama
{
    /// <summary>Logits for every position of <paramref name="tokens"/>: [T, V].</summary>
    public static Tensor Logits(TransformerConfig config, IReadOnlyDictionary<string, Tensor> w, long[] tokens)
    {
        int heads = config.NumAttentionHeads, kvHeads = config.NumKeyValueHeads, d = config.EffectiveHeadDim;
        long t = tokens.Length;
        var embedding = w["model.embed_tokens.weight"];                                      // [V, H]
        var x = embedding.index_select(0, tensor(tokens, ScalarType.Int64, CPU));            // [T, H]
        var (cos, sin) = RopeTables(t, d, config.RopeTheta);                                // [T, D/2] each
        var causal = ones(t, t, ScalarType.Bool, CPU).triu(1);                              // [T, T], true above the diagonal
        for (int layer = 0; layer < config.NumLayers; layer++)
        {
            Tensor W(string suffix) => w[$"model.layers.{layer}.{suffix}"];
            var n = RmsNorm(x, W("input_layernorm.weight"), config.RmsNormEps);              // [T, H]
            var q = Rope(Heads(n.matmul(W("self_attn.q_proj.weight").t()), heads, d), cos, sin);  // [nH, T, D]
            var k = Rope(Heads(n.matmul(W("self_attn.k_proj.weight").t()), kvHeads, d), cos, sin); // [nKV, T, D]
            var v = Heads(n.matmul(W("self_attn.v_proj.weight").t()), kvHeads, d);            // [nKV, T, D]
            k = k.repeat_interleave(heads / kvHeads, 0);                                     // [nH, T, D]
            v = v.repeat_interleave(heads / kvHeads, 0);                                     // [nH, T, D]
            var scores = q.matmul(k.transpose(1, 2)) / Math.Sqrt(d);                         // [nH, T, T]
            var attention = scores.masked_fill(causal, double.NegativeInfinity).softmax(-1).matmul(v); // [nH, T, D]
            x = x + attention.transpose(0, 1).reshape(t, heads * d).matmul(W("self_attn.o_proj.weight").t());
            var m = RmsNorm(x, W("post_attention_layernorm.weight"), config.RmsNormEps);     // [T, H]
            var gated = nn.functional.silu(m.matmul(W("mlp.gate_proj.weight").t())) * m.matmul(W("mlp.up_proj.weight").t()); // [T, I]
            x = x + gated.matmul(W("mlp.down_proj.weight").t());                             // [T, H]
        }

        var classifier = w.TryGetValue("lm_head.weight", out var head) ? head : embedding;  // [V, H]
        return RmsNorm(x, w["model.norm.weight"], config.RmsNormEps).matmul(classifier.t()); // [T, V]
    }

    private static Tensor RmsNorm(Tensor x, Tensor weight, double eps) =>
        x * (x.pow(2).mean([-1], keepdim: true) + eps).rsqrt() * weight;

    /// <summary>[T, n*D] → [n, T, D].</summary>
    private static Tensor Heads(Tensor x, int n, int d) => x.view(x.shape[0], n, d).transpose(0, 1);

    private static (Tensor Cos, Tensor Sin) RopeTables(long positions, int d, double theta)
    {
        var inverse = (arange(0, d, 2, ScalarType.Float64, CPU) * (-Math.Log(theta) / d)).exp(); // [D/2]: θ^(−2j/D)
        var angles = arange(positions, ScalarType.Float64, CPU).outer(inverse);             // [T, D/2]
        return (angles.cos().to_type(ScalarType.Float32), angles.sin().to_type(ScalarType.Float32));
    }

    /// <summary>Rotate-half RoPE on [n, T, D].</summary>
    private static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[^1] / 2;
        var first = x.narrow(-1, 0, half);     // [n, T, D/2]
        var second = x.narrow(-1, half, half); // [n, T, D/2]
        return cat([(first * cos) - (second * sin), (second * cos) + (first * sin)], -1);
    }
}
