using static TorchSharp.torch;

namespace QuietStar.Core.Training;

/// <summary>Per-token NLLs and the LM loss of one batch. Ignored (padded) targets have NLL exactly 0.</summary>
/// <param name="BaseNll">−log p_base(x_{t+1}), <c>[R, L−1]</c>.</param>
/// <param name="TalkNll">M tensors; entry s is −log p_talk,s(x_{t+s+1}), <c>[R, L−1−s]</c>.</param>
/// <param name="BaseLoss">Mean of <paramref name="BaseNll"/> over real targets (scalar).</param>
/// <param name="TalkLosses">Mean of each <paramref name="TalkNll"/> entry over real targets (M scalars).</param>
/// <param name="Loss">base weight · BaseLoss + (1 − base weight) · mean of TalkLosses (scalar).</param>
public sealed record TeacherForcingResult(
    Tensor BaseNll,
    IReadOnlyList<Tensor> TalkNll,
    Tensor BaseLoss,
    IReadOnlyList<Tensor> TalkLosses,
    Tensor Loss)
{
    /// <summary>
    /// Boolean <c>[R, L]</c>: whether each token is a real (scored) target; null when the loss did not say, in which case
    /// every target counts as real. <see cref="ReinforceRewardEstimator"/> takes the advantage standard deviation over
    /// the positions whose reward covers at least one real target.
    /// </summary>
    public Tensor? TargetIsReal { get; init; }
}
