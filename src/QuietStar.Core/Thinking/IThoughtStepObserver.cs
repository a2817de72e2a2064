using static TorchSharp.torch;

namespace QuietStar.Core.Thinking;

/// <summary>
/// Sees each thought token's sampling distribution while a thought generator runs, so that per-step quantities
/// (the objective's thought entropy and KL-to-base, <see cref="Training.ThoughtRegularization"/>) are accumulated step by
/// step instead of keeping T logits tensors <c>[R, L, V]</c> alive until the rollout ends.
/// </summary>
/// <remarks>
/// A generator passes its observer through <see cref="ThoughtRequest.StepObserver"/> and should call it once per
/// sampled thought token, in order. A generator that never calls it still works: the objective's entropy and KL are
/// then 0 and reported as covering no step, and a positive entropy or KL weight makes the objective throw.
/// </remarks>
public interface IThoughtStepObserver
{
    /// <summary>Called after thought token <paramref name="step"/> was sampled from <paramref name="logits"/>.</summary>
    /// <param name="step">k = 1 … T, the thought token's index.</param>
    /// <param name="logits">
    /// The logits <c>[R, L, V]</c> token k was sampled from: temperature 1, START/END at −1e10, with autograd
    /// history. The tensor belongs to the generator and is disposed when its step ends (the autograd graph keeps
    /// what backward needs). An observer that keeps it, or anything computed from it, past the call must take it out
    /// of the current dispose scope (<c>DetachFromDisposeScope</c>) and dispose it itself.
    /// </param>
    void OnThoughtStep(int step, Tensor logits);
}
