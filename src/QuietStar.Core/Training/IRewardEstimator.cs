using QuietStar.Core.Configuration;
using static TorchSharp.torch;

namespace QuietStar.Core.Training;

/// <summary>Turns the talk NLLs into rewards for the sampled thoughts and a policy-gradient loss (paper §4.4, eq. 5–6).</summary>
public interface IRewardEstimator
{
    /// <summary>Computes rewards, advantages and the (unweighted) policy loss.</summary>
    /// <param name="nll">The per-token NLLs of the batch.</param>
    /// <param name="thoughtLogProbs">Log-probabilities of the sampled thought tokens <c>[R, L, T]</c>.</param>
    /// <param name="options">Passes, baseline and clamping options.</param>
    PolicyResult Estimate(TeacherForcingResult nll, Tensor thoughtLogProbs, QuietStarOptions options);
}
