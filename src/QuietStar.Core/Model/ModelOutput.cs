using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>The result of a forward call. The tensors belong to the caller's dispose scope.</summary>
/// <param name="Hidden">Final-RMSNorm'd hidden states <c>[B, L, H]</c>.</param>
/// <param name="Logits">Logits <c>[B, L, V]</c>, when requested.</param>
internal sealed record ModelOutput(Tensor Hidden, Tensor? Logits);
