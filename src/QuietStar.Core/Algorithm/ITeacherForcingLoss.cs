using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>The language-modelling part of the objective: base NLL and the non-myopic talk NLLs (paper §4.4).</summary>
public interface ITeacherForcingLoss
{
    /// <summary>
    /// Scores the base and talk predictions against the true tokens. Implementations should set
    /// <see cref="TeacherForcingResult.TargetIsReal"/> to <paramref name="targetIsReal"/>, so that the reward estimator's
    /// advantage statistics leave out the positions that see only padding.
    /// </summary>
    /// <param name="baseLogits">Base logits <c>[R, L, V]</c>.</param>
    /// <param name="talkLogits">M mixed logits <c>[R, L, V]</c>; entry s at position t predicts x_{t+s+1}.</param>
    /// <param name="targets">The token ids <c>[R, L]</c> (labels = inputs).</param>
    /// <param name="targetIsReal">Boolean <c>[R, L]</c>: false where the token is padding (never scored).</param>
    /// <param name="baseLossWeight">Weight of the base loss; the talk losses share the rest.</param>
    TeacherForcingResult Compute(Tensor baseLogits, IReadOnlyList<Tensor> talkLogits, Tensor targets, Tensor targetIsReal, double baseLossWeight);
}

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
    /// every target counts as real. The default reward estimator takes the advantage standard deviation over
    /// the positions whose reward covers at least one real target.
    /// </summary>
    public Tensor? TargetIsReal { get; init; }
}
