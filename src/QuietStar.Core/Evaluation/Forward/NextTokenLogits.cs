using static TorchSharp.torch;

namespace QuietStar.Core.Evaluation.Forward;

/// <summary>
/// Next-token predictions at every position of a batch: the row at position t predicts x_{t+1}. The last dimension
/// is the model's base vocabulary (the START/END thought tokens are never text and are dropped). The tensors belong
/// to the caller's dispose scope and carry no autograd history.
/// </summary>
/// <param name="BaseLogits">Logits of the model without thoughts, <c>[B, L, V]</c>.</param>
/// <param name="ThoughtLogits">Logits after a thought at every position (the post-END mixed prediction), <c>[B, L, V]</c>; null when run without thoughts.</param>
/// <param name="MixingWeights">The mixing head's weight w on the thought prediction at every position, <c>[B, L]</c>; null when run without thoughts.</param>
public sealed record NextTokenLogits(Tensor BaseLogits, Tensor? ThoughtLogits, Tensor? MixingWeights)
{
    /// <summary>The prediction an evaluation scores: <see cref="ThoughtLogits"/> when thoughts ran, else <see cref="BaseLogits"/>.</summary>
    public Tensor Logits => ThoughtLogits ?? BaseLogits;
}
