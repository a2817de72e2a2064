using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// The entropy and KL terms on the thought-token distributions (beyond the reference; both weights are 0 there, and
/// then the terms are computed without autograd history, as metrics only). They are accumulated while the thoughts are
/// generated, one thought step at a time, so the thought logits <c>[R, L, V]</c> need not outlive their step.
/// </summary>
/// <param name="Entropy">
/// Mean entropy H (nats) of the thought-token distributions π_k(·|t) at temperature 1 (START/END excluded), over the
/// real positions t and the T thought tokens k (scalar).
/// </param>
/// <param name="KlToBase">
/// Mean KL(π_k(·|t) ‖ p_base(·|t)) (nats) to the base pass's next-token distribution at the same position, which is
/// detached and restricted to the same support, over the same positions and tokens (scalar, ≥ 0).
/// </param>
/// <param name="EntropyWeight">β_H: the loss got −β_H·H.</param>
/// <param name="KlWeight">β_KL: the loss got +β_KL·KL.</param>
/// <param name="ThoughtSteps">
/// How many thought tokens the means cover: the steps the thought generator reported through
/// <see cref="ThoughtRequest.ReportThoughtStep"/> (T for the default generator). 0 when a
/// custom generator reports none; then <paramref name="Entropy"/> and <paramref name="KlToBase"/> are 0, and the objective
/// refuses a positive <paramref name="EntropyWeight"/> or <paramref name="KlWeight"/>.
/// </param>
public sealed record ThoughtRegularization(Tensor Entropy, Tensor KlToBase, double EntropyWeight, double KlWeight, int ThoughtSteps);

/// <summary>
/// Accumulates the entropy bonus and the KL-to-base term of the thought-token distributions
/// (<see cref="ThoughtRegularization"/>) step by step, as the <see cref="IThoughtStepObserver"/> that receives each
/// step's logits from the thought generator (through <see cref="ThoughtRequest.ReportThoughtStep"/>). Between steps
/// it keeps only two running sums <c>[R, L]</c> and the base log-probabilities <c>[R, L, V]</c>, never the thought
/// logits themselves. The KL's reference is the base pass of the
/// same model at the same position, detached: it costs no extra forward pass and no frozen copy
/// (docs/paper-to-code.md, "Beyond the reference").
/// </summary>
/// <remarks>
/// With β_H = β_KL = 0 every step is computed under <c>no_grad</c>, so nothing of it stays in the autograd graph; with
/// either weight positive the graph keeps what backward needs. The running sums are outside every dispose scope
/// (each step runs in the generator's own scope) and are disposed here; <see cref="Result"/> creates its scalars in
/// the caller's scope and releases everything else.
/// </remarks>
internal sealed class ThoughtDistributionTerms : IThoughtStepObserver, IDisposable
{
    private readonly QuietStarOptions options;
    private readonly bool differentiable;
    private readonly Tensor weight;
    private Tensor? baseLogProbs;
    private Tensor? entropy;
    private Tensor? kl;

    /// <summary>Starts the sums for the thoughts at real positions <c>[R, L]</c> against the base logits <c>[R, L, V]</c>.</summary>
    /// <param name="baseLogits">The base pass's logits; detached here.</param>
    /// <param name="real">Boolean <c>[R, L]</c>: the positions whose thoughts count.</param>
    /// <param name="unsampledIds">Token ids never sampled as thoughts (START, END), masked in the base distribution too.</param>
    /// <param name="options">Supplies β_H and β_KL; with both 0 nothing keeps autograd history.</param>
    public ThoughtDistributionTerms(Tensor baseLogits, Tensor real, IReadOnlyList<int> unsampledIds, QuietStarOptions options)
    {
        ArgumentNullException.ThrowIfNull(baseLogits);
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(unsampledIds);
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        differentiable = options.ThoughtEntropyWeight > 0 || options.ThoughtKlWeight > 0;
        using var gradMode = differentiable ? null : torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var unsampled = torch.tensor(unsampledIds.Select(i => (long)i).ToArray(), device: baseLogits.device);
        baseLogProbs = Precision.AtLeastFloat32(baseLogits.detach()).index_fill(-1, unsampled, GumbelSampler.Unsampleable).log_softmax(-1); // [R, L, V]: −1e10 overflows Half
        var weights = real.to_type(baseLogProbs.dtype);                                                                      // [R, L]
        entropy = torch.zeros_like(weights);                                                                                 // [R, L]
        kl = torch.zeros_like(weights);                                                                                      // [R, L]
        scope.Detach(baseLogProbs, entropy, kl);
        weight = scope.MoveToOuter(weights);
    }

    /// <summary>How many thought steps have been accumulated.</summary>
    public int Steps { get; private set; }

    /// <summary>Adds step k's entropy and KL at every position: the logits <c>[R, L, V]</c> the token was sampled from, START/END masked.</summary>
    public void OnThoughtStep(int step, Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var (baseline, entropySum, klSum) = (baseLogProbs, entropy, kl);
        ObjectDisposedException.ThrowIf(baseline is null || entropySum is null || klSum is null, this);
        using var gradMode = differentiable ? null : torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var logp = Precision.AtLeastFloat32(logits).log_softmax(-1);                                                         // [R, L, V]
        var p = logp.exp();
        var nextEntropy = entropySum - (p * logp).sum(-1);                                                                   // [R, L]
        var nextKl = klSum + (p * (logp - baseline)).sum(-1);                                                                // [R, L]
        scope.Detach(nextEntropy, nextKl);
        entropySum.Dispose();
        klSum.Dispose();
        (entropy, kl) = (nextEntropy, nextKl);
        Steps++;
    }

    /// <summary>
    /// The means over real positions and the accumulated steps, created in the caller's dispose scope; then releases
    /// the sums and the base log-probabilities. With no step accumulated both terms are 0.
    /// </summary>
    public ThoughtRegularization Result()
    {
        var (entropySum, klSum) = (entropy, kl);
        ObjectDisposedException.ThrowIf(entropySum is null || klSum is null, this);
        ThoughtRegularization result;
        using (differentiable ? null : torch.no_grad())
        {
            if (Steps == 0)
            {
                var zero = torch.zeros([], dtype: weight.dtype, device: weight.device);
                result = new ThoughtRegularization(zero, zero.clone(), options.ThoughtEntropyWeight, options.ThoughtKlWeight, 0);
            }
            else
            {
                var count = weight.sum().clamp_min(1) * Steps;
                result = new ThoughtRegularization(
                    (entropySum * weight).sum() / count,
                    (klSum * weight).sum() / count,
                    options.ThoughtEntropyWeight,
                    options.ThoughtKlWeight,
                    Steps);
            }
        }

        Dispose();
        return result;
    }

    /// <summary>Releases the running sums and the base log-probabilities (idempotent).</summary>
    public void Dispose()
    {
        baseLogProbs?.Dispose();
        entropy?.Dispose();
        kl?.Dispose();
        (baseLogProbs, entropy, kl) = (null, null, null);
    }
}
