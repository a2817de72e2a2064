using static TorchSharp.torch;

namespace QuietStar.Core.Training;

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
