using QuietStar.Core.Thinking;
using static TorchSharp.torch;

namespace QuietStar.Core.Training;

/// <summary>
/// Everything one evaluation of the Quiet-STaR objective computed. Tensors belong to the caller's dispose scope and
/// keep their autograd history; call <c>Loss.backward()</c> to train. <see cref="Components"/> reads the numbers.
/// </summary>
/// <param name="Loss">The total loss: LM loss + policy weight · policy loss, − β_H·entropy + β_KL·KL when those are on (scalar).</param>
/// <param name="BaseLogits">Base logits <c>[R, L, V]</c> (R = B·P rows).</param>
/// <param name="TalkLogits">M mixed logits <c>[R, L, V]</c>; entry s at t predicts x_{t+s+1}.</param>
/// <param name="MixingWeights">M mixing weights <c>[R, L, 1]</c>.</param>
/// <param name="Rollout">The sampled thoughts.</param>
/// <param name="LanguageModeling">Base and talk NLLs.</param>
/// <param name="Policy">Rewards, advantages and the unweighted policy loss.</param>
/// <param name="PolicyWeight">The weight the policy loss entered the total with (0 when excluded; ramped during the warm-up).</param>
/// <param name="Regularization">Entropy and KL-to-base of the thought distributions, with the weights they entered the total with.</param>
/// <param name="IsReal">Boolean <c>[R, L]</c>: the real (non-padding) positions of the repeated rows.</param>
public sealed record ObjectiveResult(
    Tensor Loss,
    Tensor BaseLogits,
    IReadOnlyList<Tensor> TalkLogits,
    IReadOnlyList<Tensor> MixingWeights,
    ThoughtRollout Rollout,
    TeacherForcingResult LanguageModeling,
    PolicyResult Policy,
    double PolicyWeight,
    ThoughtRegularization Regularization,
    Tensor IsReal)
{
    /// <summary>Reads the named loss components and training metrics (synchronises with the device).</summary>
    public LossComponents Components() => LossComponents.From(this);
}
