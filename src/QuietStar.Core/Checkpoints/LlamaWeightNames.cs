using QuietStar.Core.Model;

namespace QuietStar.Core.Checkpoints;

/// <summary>
/// Hugging Face Llama state-dict names and the shape each parameter must have for a <see cref="TransformerConfig"/>.
/// Every reader in this folder produces these names and every writer consumes them.
/// </summary>
internal static class LlamaWeightNames
{
    public const string Embedding = "model.embed_tokens.weight";
    public const string FinalNorm = "model.norm.weight";
    public const string LmHead = "lm_head.weight";

    public const string InputNorm = "input_layernorm.weight";
    public const string PostAttentionNorm = "post_attention_layernorm.weight";
    public const string QProj = "self_attn.q_proj";
    public const string KProj = "self_attn.k_proj";
    public const string VProj = "self_attn.v_proj";
    public const string OProj = "self_attn.o_proj";
    public const string GateProj = "mlp.gate_proj";
    public const string UpProj = "mlp.up_proj";
    public const string DownProj = "mlp.down_proj";

    /// <summary>The full name of a per-layer parameter, e.g. <c>model.layers.3.self_attn.q_proj.weight</c>.</summary>
    public static string Layer(int layer, string suffix) => $"model.layers.{layer}.{suffix}";

    /// <summary>True for non-parameter buffers that some exporters store and that loaders may skip (rotary inv_freq).</summary>
    public static bool IsIgnorable(string name) => name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal);

    /// <summary>Every parameter the configuration requires, with its shape, in state-dict order.</summary>
    public static IReadOnlyList<KeyValuePair<string, long[]>> ExpectedShapes(TransformerConfig config)
    {
        long vocab = config.VocabSize;
        long hidden = config.HiddenSize;
        long inner = config.IntermediateSize;
        long qWidth = (long)config.NumAttentionHeads * config.EffectiveHeadDim;
        long kvWidth = (long)config.NumKeyValueHeads * config.EffectiveHeadDim;

        var shapes = new List<KeyValuePair<string, long[]>> { new(Embedding, [vocab, hidden]) };
        for (int layer = 0; layer < config.NumLayers; layer++)
        {
            void Add(string suffix, params long[] shape) => shapes.Add(new(Layer(layer, suffix), shape));

            Add(InputNorm, hidden);
            Add($"{QProj}.weight", qWidth, hidden);
            Add($"{KProj}.weight", kvWidth, hidden);
            Add($"{VProj}.weight", kvWidth, hidden);
            if (config.AttentionBias)
            {
                Add($"{QProj}.bias", qWidth);
                Add($"{KProj}.bias", kvWidth);
                Add($"{VProj}.bias", kvWidth);
            }

            Add($"{OProj}.weight", hidden, qWidth);
            Add(PostAttentionNorm, hidden);
            Add($"{GateProj}.weight", inner, hidden);
            Add($"{UpProj}.weight", inner, hidden);
            Add($"{DownProj}.weight", hidden, inner);
        }

        shapes.Add(new(FinalNorm, [hidden]));
        if (!config.TieWordEmbeddings)
        {
            shapes.Add(new(LmHead, [vocab, hidden]));
        }

        return shapes;
    }
}
