using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>SwiGLU feed-forward block: <c>down(silu(gate(x)) * up(x))</c>.</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "gate_proj")]
    private readonly Linear gate;

    [ComponentName(Name = "up_proj")]
    private readonly Linear up;

    [ComponentName(Name = "down_proj")]
    private readonly Linear down;

    /// <summary>Creates the block for the given configuration.</summary>
    public FeedForward(TransformerConfig config, Device device, ScalarType dtype) : base(nameof(FeedForward))
    {
        gate = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device, dtype: dtype);
        up = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device, dtype: dtype);
        down = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var hidden = nn.functional.silu(gate.forward(x)) * up.forward(x); // [B, L, I]
        return down.forward(hidden).MoveToOuterDisposeScope();             // [B, L, H]
    }
}
