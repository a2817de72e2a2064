using static TorchSharp.torch;

namespace QuietStar.Core.Thinking;

/// <summary>
/// The thoughts generated at every position of R rows, and what the model computed after them. Tensors belong to
/// the caller's dispose scope and keep their autograd history. The logits the thought tokens were sampled from are not
/// kept (T tensors <c>[R, L, V]</c>): a caller that needs them sees each one as it is generated through
/// <see cref="ThoughtRequest.StepObserver"/>.
/// </summary>
/// <param name="ThoughtIds">Sampled thought tokens <c>[R, L, T]</c> (int64, no gradient).</param>
/// <param name="ThoughtLogProbs">Their log-probabilities at the REINFORCE temperature <c>[R, L, T]</c>.</param>
/// <param name="ThoughtHidden">Hidden states the thought tokens were sampled from: T tensors <c>[R, L, H]</c> (after START, c₁, …, c_{T−1}).</param>
/// <param name="TalkHidden">Hidden states after END and the teacher-forced tokens: M tensors <c>[R, L, H]</c>; entry s predicts x_{t+s+1}.</param>
public sealed record ThoughtRollout(
    Tensor ThoughtIds,
    Tensor ThoughtLogProbs,
    IReadOnlyList<Tensor> ThoughtHidden,
    IReadOnlyList<Tensor> TalkHidden);
