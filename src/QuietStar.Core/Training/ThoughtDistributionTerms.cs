using QuietStar.Core.Configuration;
using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Training;

/// <summary>
/// Computes the entropy bonus and the KL-to-base term of the thought-token distributions (<see cref="ThoughtRegularization"/>).
/// The KL's reference is the base pass of the same model at the same position, detached: it costs no extra forward
/// pass and no frozen copy (docs/paper-to-code.md, "Beyond the reference").
/// </summary>
internal static class ThoughtDistributionTerms
{
    private const double Unsampleable = -1e10;

    /// <summary>The terms for T thought logits <c>[R, L, V]</c> against the base logits <c>[R, L, V]</c> at real positions <c>[R, L]</c>.</summary>
    /// <param name="thoughtLogits">The logits each thought token was sampled from, START/END already masked.</param>
    /// <param name="baseLogits">The base pass's logits; detached here.</param>
    /// <param name="real">Boolean <c>[R, L]</c>: the positions whose thoughts count.</param>
    /// <param name="unsampledIds">Token ids never sampled as thoughts (START, END), masked in the base distribution too.</param>
    /// <param name="options">Supplies β_H and β_KL; with both 0 nothing keeps autograd history.</param>
    public static ThoughtRegularization Compute(IReadOnlyList<Tensor> thoughtLogits, Tensor baseLogits, Tensor real, IReadOnlyList<int> unsampledIds,
        QuietStarOptions options)
    {
        bool differentiable = options.ThoughtEntropyWeight > 0 || options.ThoughtKlWeight > 0;
        using var gradMode = differentiable ? null : torch.no_grad();
        var unsampled = torch.tensor(unsampledIds.Select(i => (long)i).ToArray(), device: baseLogits.device);
        var baseLogProbs = Precision.AtLeastFloat32(baseLogits.detach().index_fill(-1, unsampled, Unsampleable)).log_softmax(-1); // [R, L, V]
        var weight = real.to_type(baseLogProbs.dtype);                                                                          // [R, L]
        var count = weight.sum().clamp_min(1) * thoughtLogits.Count;
        var entropy = torch.zeros_like(weight);                                                                                 // [R, L]
        var kl = torch.zeros_like(weight);                                                                                      // [R, L]
        foreach (var logits in thoughtLogits)
        {
            using var scope = torch.NewDisposeScope();
            var logp = Precision.AtLeastFloat32(logits).log_softmax(-1);                                                        // [R, L, V]
            var p = logp.exp();
            entropy = (entropy - (p * logp).sum(-1)).MoveToOuterDisposeScope();                                                 // [R, L]
            kl = (kl + (p * (logp - baseLogProbs)).sum(-1)).MoveToOuterDisposeScope();                                          // [R, L]
        }

        return new ThoughtRegularization(
            (entropy * weight).sum() / count,
            (kl * weight).sum() / count,
            options.ThoughtEntropyWeight,
            options.ThoughtKlWeight);
    }
}
