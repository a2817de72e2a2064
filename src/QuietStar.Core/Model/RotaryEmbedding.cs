using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>
/// Rotary position embedding in the Hugging Face "rotate half" layout. Angles are computed from explicit position
/// ids on every call, so any position (including Quiet-STaR's t + k thought positions) is valid.
/// </summary>
public sealed class RotaryEmbedding : nn.Module
{
    private readonly Tensor invFreq;   // [D/2], float32 (as Hugging Face computes the angles)
    private readonly Tensor invFreq64; // [D/2], float64 for float64 models

    /// <summary>Creates the embedding for heads of width <paramref name="headDim"/> and base <paramref name="theta"/>.</summary>
    public RotaryEmbedding(int headDim, double theta, Device device) : base(nameof(RotaryEmbedding))
    {
        var exponents = torch.arange(0, headDim, 2, dtype: ScalarType.Float64, device: device) / headDim;
        invFreq = torch.pow(theta, exponents).reciprocal().to_type(ScalarType.Float32).DetachFromDisposeScope();
        invFreq64 = torch.pow(theta, exponents).reciprocal().DetachFromDisposeScope();
        register_buffer("inv_freq", invFreq, persistent: false);
        register_buffer("inv_freq64", invFreq64, persistent: false);
    }

    /// <summary>Cosine and sine tables for the given positions.</summary>
    /// <param name="positionIds">Positions <c>[B, L]</c> (int64).</param>
    /// <param name="dtype">Dtype of the returned tables.</param>
    /// <returns>cos and sin, each <c>[B, 1, L, D]</c>.</returns>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positionIds, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var precise = dtype == ScalarType.Float64;
        var angles = positionIds.to_type(precise ? ScalarType.Float64 : ScalarType.Float32).unsqueeze(-1) * (precise ? invFreq64 : invFreq); // [B, L, D/2]
        var full = torch.cat([angles, angles], dim: -1).unsqueeze(1);                 // [B, 1, L, D]
        var cos = full.cos().to_type(dtype);
        var sin = full.sin().to_type(dtype);
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>Rotates <paramref name="x"/> <c>[B, heads, L, D]</c> by the given angles.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = torch.cat([-x2, x1], dim: -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }
}
