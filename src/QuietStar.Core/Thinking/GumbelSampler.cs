using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Thinking;

/// <summary>
/// Hard Gumbel-softmax sampling, as <c>F.gumbel_softmax(logits, tau, hard=True).detach()</c>: the index of
/// <c>max((logits + g) / tau)</c> with g ~ Gumbel(0, 1). The argmax does not depend on tau, so a hard sample is always a
/// draw from softmax(logits) at temperature 1; nothing is differentiable through it.
/// </summary>
public static class GumbelSampler
{
    /// <summary>Draws Gumbel(0, 1) noise shaped like <paramref name="logits"/> from <paramref name="generator"/>.</summary>
    public static Tensor Noise(Tensor logits, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        var exponential = torch.empty_like(logits, dtype: ScalarType.Float32).exponential_(1.0, generator); // [..., V]
        return exponential.log().neg().MoveToOuterDisposeScope();
    }

    /// <summary>Samples one index per row of <paramref name="logits"/> <c>[..., V]</c> with the given noise; returns int64 <c>[...]</c>.</summary>
    public static Tensor Sample(Tensor logits, Tensor noise, double temperature)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var perturbed = (logits.detach().to_type(ScalarType.Float32) + noise) / temperature; // [..., V]
        return perturbed.argmax(-1).MoveToOuterDisposeScope();
    }
}
