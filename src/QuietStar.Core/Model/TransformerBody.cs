using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>The decoder stack without the classifier (Hugging Face's <c>model.*</c> parameters).</summary>
public sealed class TransformerBody : nn.Module
{
    [ComponentName(Name = "embed_tokens")]
    private readonly Embedding embedTokens;

    [ComponentName(Name = "layers")]
    private readonly ModuleList<DecoderLayer> layers;

    [ComponentName(Name = "norm")]
    private readonly RmsNorm norm;

    [ComponentName(Name = "rotary_emb")]
    private readonly RotaryEmbedding rotary;

    /// <summary>Creates the stack for the given configuration.</summary>
    public TransformerBody(TransformerConfig config, Device device, ScalarType dtype) : base(nameof(TransformerBody))
    {
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
        var (cos, sin) = rotary.Angles(positionIds, embeddings.dtype); // [B, 1, L, D]
        var x = embeddings;
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].Forward(x, cos, sin, spec, cache, i);         // [B, L, H]
        }

        return norm.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>Replaces the embedding matrix (used to grow the vocabulary).</summary>
    internal void SetEmbeddingWeight(Parameter weight) => embedTokens.weight = weight;
}
