using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>Turns the talk NLLs into rewards for the sampled thoughts and a policy-gradient loss (paper §4.4, eq. 5–6).</summary>
public interface IRewardEstimator
{
    /// <summary>Computes rewards, advantages and the (unweighted) policy loss.</summary>
    /// <param name="nll">The per-token NLLs of the batch.</param>
    /// <param name="thoughtLogProbs">Log-probabilities of the sampled thought tokens <c>[R, L, T]</c>.</param>
    /// <param name="options">Passes, baseline and clamping options.</param>
    PolicyResult Estimate(TeacherForcingResult nll, Tensor thoughtLogProbs, QuietStarOptions options);
}

/// <summary>The REINFORCE part of one batch. Rewards and advantages carry no gradient.</summary>
/// <param name="Reward">Σ_s [NLL_base(t+s) − NLL_s(t)]: the talk log-likelihood gain of the next M tokens, <c>[R, L−1−M]</c>.</param>
/// <param name="Advantage">Reward minus the baseline, before clamping (divided by <paramref name="AdvantageStd"/> when normalised), <c>[R, L−1−M]</c>.</param>
/// <param name="TrainingAdvantage">The advantage the policy term uses (clamped at 0 when configured), <c>[R, L−1−M]</c>.</param>
/// <param name="PolicyLoss">mean over thought tokens of mean_{rows,t}(−A⁺ · log p(c)) (scalar, unweighted).</param>
/// <param name="AdvantageStd">Population standard deviation of the baselined advantages over the scored positions of all rows (those whose reward covers at least one real target; padding-only positions excluded), before any normalisation (scalar, nats).</param>
public sealed record PolicyResult(Tensor Reward, Tensor Advantage, Tensor TrainingAdvantage, Tensor PolicyLoss, Tensor AdvantageStd);
