using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>One pre-norm Llama decoder layer: attention then SwiGLU, each with a residual connection.</summary>
public sealed class DecoderLayer : nn.Module
{
    [ComponentName(Name = "input_layernorm")]
    private readonly RmsNorm attentionNorm;

    [ComponentName(Name = "self_attn")]
    private readonly SelfAttention attention;

    [ComponentName(Name = "post_attention_layernorm")]
    private readonly RmsNorm feedForwardNorm;

    [ComponentName(Name = "mlp")]
    private readonly FeedForward feedForward;

    /// <summary>Creates the layer for the given configuration.</summary>
    public DecoderLayer(TransformerConfig config, Device device, ScalarType dtype) : base(nameof(DecoderLayer))
    {
        attentionNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        attention = new SelfAttention(config, device, dtype);
        feedForwardNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        feedForward = new FeedForward(config, device, dtype);
        RegisterComponents();
    }

    /// <summary>Transforms <paramref name="x"/> <c>[B, L, H]</c>.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionSpec spec, KeyValueCache? cache, int layer)
    {
        using var scope = torch.NewDisposeScope();
        var h = x + attention.Forward(attentionNorm.forward(x), cos, sin, spec, cache, layer); // [B, L, H]
        return (h + feedForward.forward(feedForwardNorm.forward(h))).MoveToOuterDisposeScope();
    }
}
