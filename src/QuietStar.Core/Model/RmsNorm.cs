using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>Root-mean-square layer norm, computed in float32 whatever the parameter dtype (as Hugging Face Llama does).</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double eps;

    /// <summary>The learned gain, <c>[H]</c>.</summary>
    public Parameter weight;

    /// <summary>Creates the norm with unit gain.</summary>
    public RmsNorm(int size, double eps, Device device, ScalarType dtype) : base(nameof(RmsNorm))
    {
        this.eps = eps;
        weight = nn.Parameter(torch.ones(size, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var x32 = Precision.AtLeastFloat32(x);                                // [..., H]
        var normed = x32 * torch.rsqrt(x32.pow(2).mean([-1L], keepdim: true) + eps);
        return (weight * normed.to_type(x.dtype)).MoveToOuterDisposeScope();
    }
}
