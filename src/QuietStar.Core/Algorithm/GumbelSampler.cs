using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// How the default thought generator (and quiet decoding) picks each thought token. <see cref="Model"/> is the reference's; the
/// others exist to measure what a thought's <em>content</em> contributes (docs/experiments.md): if a trained model
/// gains as much from thoughts of random tokens as from its own samples, the gain is the extra computation after
/// START, not what the thought says.
/// </summary>
public enum ThoughtSampling
{
    /// <summary>The reference: a hard Gumbel sample from the model's next-token distribution at temperature 1.</summary>
    Model = 0,

    /// <summary>The model's most likely token at every thought step (argmax of the same logits).</summary>
    Greedy = 1,

    /// <summary>
    /// A control: every thought token drawn uniformly from the model's vocabulary (all embedding rows but START and
    /// END), independent of the context. The REINFORCE log-probabilities are still the model's for the drawn token.
    /// </summary>
    Uniform = 2,
}

/// <summary>
/// Hard Gumbel-softmax sampling, as <c>F.gumbel_softmax(logits, tau, hard=True).detach()</c>: the index of
/// <c>max((logits + g) / tau)</c> with g ~ Gumbel(0, 1). The argmax does not depend on tau, so a hard sample is always a
/// draw from softmax(logits) at temperature 1; nothing is differentiable through it.
/// </summary>
internal static class GumbelSampler
{
    /// <summary>
    /// The logit given to tokens a thought must never sample (START/END): the reference's −1e10. Apply it in at least
    /// float32, as it overflows Half.
    /// </summary>
    internal const double Unsampleable = -1e10;

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
