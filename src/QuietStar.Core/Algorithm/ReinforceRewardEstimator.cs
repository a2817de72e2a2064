using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// The reference's REINFORCE estimator. Reward r(t) = Σ_{s&lt;M} [NLL_base(t+s) − NLL_s(t)] for t &lt; L−1−M; baseline =
/// mean over the P passes of the same sequence, self included (<c>trice_mode</c>); negative advantages clamped to 0
/// (<c>remove_negative_rewards</c>); loss = mean over the T thought tokens of mean_{rows,t}(−A⁺(t) · log p(c(t))).
/// Beyond the reference, <see cref="QuietStarOptions.NormalizeAdvantages"/> divides the advantages by their standard
/// deviation over the batch's scored positions (those whose reward covers a real target) between the baseline and the clamp.
/// </summary>
internal sealed class ReinforceRewardEstimator : IRewardEstimator
{
    /// <summary>
    /// The smallest standard deviation advantages are divided by: rounding noise (far below it) is not blown up to unit
    /// scale, and all-zero advantages (at initialisation, w ≡ 0) stay zero.
    /// </summary>
    internal const double AdvantageStdFloor = 1e-6;

    /// <inheritdoc />
    public PolicyResult Estimate(TeacherForcingResult nll, Tensor thoughtLogProbs, QuietStarOptions options)
    {
        ArgumentNullException.ThrowIfNull(nll);
        ArgumentNullException.ThrowIfNull(options);
        int talk = nll.TalkNll.Count;
        long rows = nll.BaseNll.shape[0], n = nll.BaseNll.shape[1] - talk;   // n = L−1−M scored positions
        if (n <= 0)
        {
            throw new ArgumentException($"Sequences must be longer than {talk + 1} tokens to reward {talk} talk token(s).");
        }

        Tensor reward;
        using (torch.no_grad())
        {
            reward = torch.zeros(rows, n, dtype: nll.BaseNll.dtype, device: nll.BaseNll.device);     // [R, n]
            for (int s = 0; s < talk; s++)
            {
                reward += nll.BaseNll.narrow(1, s, n).detach() - nll.TalkNll[s].narrow(1, 0, n).detach();
            }
        }

        var baselined = options.MeanBaseline ? SubtractPassMean(reward, options.Passes) : reward;     // [R, n]
        var spread = ScoredStd(baselined, ScoredPositions(nll.TargetIsReal, talk, n));                 // scalar, over scored positions
        var advantage = options.NormalizeAdvantages ? baselined / spread.clamp_min(AdvantageStdFloor) : baselined;
        var trainingAdvantage = options.ClampNegativeAdvantages ? advantage.clamp_min(0) : advantage;
        var logp = thoughtLogProbs.narrow(1, 0, n);                                                    // [R, n, T]
        var policyLoss = (-trainingAdvantage.unsqueeze(-1) * logp).mean([0L, 1L]).mean();              // scalar
        return new PolicyResult(reward, advantage, trainingAdvantage, policyLoss, spread);
    }

    /// <summary>
    /// The positions t &lt; n whose reward covers at least one real target among x_{t+1} … x_{t+M}, <c>[R, n]</c>; null when
    /// every target is real. At the others the reward, and so the advantage, is exactly 0: they measured nothing.
    /// </summary>
    internal static Tensor? ScoredPositions(Tensor? targetIsReal, int talk, long n)
    {
        if (targetIsReal is null)
        {
            return null;
        }

        var scored = targetIsReal.narrow(1, 1, n).to_type(ScalarType.Bool);                           // [R, n]: x_{t+1}
        for (int s = 1; s < talk; s++)
        {
            scored = scored.logical_or(targetIsReal.narrow(1, 1 + s, n));                               // | x_{t+1+s}
        }

        return scored;
    }

    /// <summary>Population standard deviation of <paramref name="values"/> <c>[R, n]</c> over the scored entries (all when null); 0 when none is.</summary>
    internal static Tensor ScoredStd(Tensor values, Tensor? scored)
    {
        if (scored is null)
        {
            return values.std(unbiased: false);
        }

        using var noGrad = torch.no_grad();
        var weight = scored.to_type(values.dtype);                                                     // [R, n]
        var count = weight.sum().clamp_min(1);
        var mean = (values * weight).sum() / count;
        var deviation = values - mean;                                                                 // x·x, not square() (docs/build.md)
        return (deviation * deviation * weight).sum().div(count).sqrt();
    }

    /// <summary>Subtracts, per sequence and position, the mean over its P adjacent copies (rows i·P … i·P+P−1).</summary>
    internal static Tensor SubtractPassMean(Tensor reward, int passes)
    {
        long rows = reward.shape[0], n = reward.shape[1];
        if (rows % passes != 0)
        {
            throw new ArgumentException($"{rows} rows are not a whole number of sequences × {passes} passes.");
        }

        var grouped = reward.view(rows / passes, passes, n);                                           // [B, P, n]
        return (grouped - grouped.mean([1L], keepdim: true)).view(rows, n);
    }
}

/// <summary>
/// The weight the policy-gradient term enters the loss with at a given thought step: 0 without the policy term,
/// otherwise <see cref="QuietStarOptions.PolicyLossWeight"/> ramped linearly over
/// <see cref="QuietStarOptions.PolicyWeightWarmupSteps"/> (0 at step 0, the full weight from step N on).
/// </summary>
internal static class PolicyWeightSchedule
{
    /// <summary>The policy weight at <paramref name="step"/>.</summary>
    /// <param name="options">The algorithm's options.</param>
    /// <param name="step">
    /// Optimizer steps already taken with thoughts (0 for the first); null means after the warm-up, e.g. for evaluation.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public static double At(QuietStarOptions options, int? step)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (step < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "The thought step must be ≥ 0.");
        }

        if (!options.IncludePolicyLoss)
        {
            return 0.0;
        }

        int warmup = options.PolicyWeightWarmupSteps;
        return step is not { } taken || warmup == 0 || taken >= warmup
            ? options.PolicyLossWeight
            : options.PolicyLossWeight * taken / warmup;
    }
}
