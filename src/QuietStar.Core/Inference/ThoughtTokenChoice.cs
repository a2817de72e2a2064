using static TorchSharp.torch;

namespace QuietStar.Core.Inference;

/// <summary>Chooses the <paramref name="index"/>-th token of every row's thought from the LM head's logits.</summary>
/// <param name="logits">Logits <c>[B, V]</c> over the model's whole vocabulary, START/END masked.</param>
/// <param name="index">Which thought token, 0 … T − 1.</param>
/// <returns>The chosen ids, int64 <c>[B]</c>.</returns>
internal delegate Tensor ThoughtTokenChoice(Tensor logits, int index);
