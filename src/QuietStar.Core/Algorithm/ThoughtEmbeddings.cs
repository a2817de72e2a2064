using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// The learned START/END thought embeddings (paper §4.2). Each is stored as p = e / scale and used as e = scale·p,
/// so the gradient reaching p is scale× larger and, under Adam, the embedding moves about scale× faster than an
/// ordinary weight at the same learning rate — the reference's <c>embedding_scale = 1e2</c>. (Scaling the gradient
/// alone would do nothing under Adam.)
/// </summary>
internal sealed class ThoughtEmbeddings : nn.Module
{
    [ComponentName(Name = "start_embedding")]
    private readonly Parameter start;  // [H], stored divided by scale

    [ComponentName(Name = "end_embedding")]
    private readonly Parameter end;    // [H], stored divided by scale

    /// <summary>Creates zero embeddings of width <paramref name="hiddenSize"/>; call <see cref="InitializeFrom(Tensor, Tensor)"/> before use.</summary>
    public ThoughtEmbeddings(int hiddenSize, double gradientScale, Device device, ScalarType dtype) : base(nameof(ThoughtEmbeddings))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(gradientScale);
        GradientScale = gradientScale;
        start = nn.Parameter(torch.zeros(hiddenSize, dtype: dtype, device: device));
        end = nn.Parameter(torch.zeros(hiddenSize, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <summary>The gradient multiplier (e = scale · stored parameter).</summary>
    public double GradientScale { get; }

    /// <summary>The START embedding e, <c>[H]</c>.</summary>
    public Tensor Start => start * GradientScale;

    /// <summary>The END embedding e, <c>[H]</c>.</summary>
    public Tensor End => end * GradientScale;

    /// <summary>
    /// A copy with another gradient scale and the same embeddings e: the stored parameters are rescaled to
    /// e / <paramref name="gradientScale"/> (e.g. a checkpoint trained at one scale and continued at another).
    /// </summary>
    /// <param name="gradientScale">The copy's gradient multiplier, positive.</param>
    public ThoughtEmbeddings WithGradientScale(double gradientScale)
    {
        var copy = new ThoughtEmbeddings((int)start.shape[0], gradientScale, start.device, start.dtype);
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        copy.start.copy_(Start / gradientScale);                                   // [H]
        copy.end.copy_(End / gradientScale);                                       // [H]
        return copy;
    }

    /// <summary>Sets both embeddings to <paramref name="embedding"/> <c>[H]</c> (the embedding of the init token).</summary>
    public void InitializeFrom(Tensor embedding) => InitializeFrom(embedding, embedding);

    /// <summary>Sets START to <paramref name="startEmbedding"/> and END to <paramref name="endEmbedding"/> (each <c>[H]</c>, divided by the gradient scale).</summary>
    public void InitializeFrom(Tensor startEmbedding, Tensor endEmbedding)
    {
        using var noGrad = torch.no_grad();
        start.copy_(startEmbedding / GradientScale);
        end.copy_(endEmbedding / GradientScale);
    }
}
