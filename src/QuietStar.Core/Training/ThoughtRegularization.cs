using static TorchSharp.torch;

namespace QuietStar.Core.Training;

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
/// <see cref="Thinking.ThoughtRequest.StepObserver"/> (T for <see cref="Thinking.ParallelThoughtGenerator"/>). 0 when a
/// custom generator reports none; then <paramref name="Entropy"/> and <paramref name="KlToBase"/> are 0, and the objective
/// refuses a positive <paramref name="EntropyWeight"/> or <paramref name="KlWeight"/>.
/// </param>
public sealed record ThoughtRegularization(Tensor Entropy, Tensor KlToBase, double EntropyWeight, double KlWeight, int ThoughtSteps);
