namespace QuietStar.Core.Model;

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
