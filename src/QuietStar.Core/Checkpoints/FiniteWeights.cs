using static TorchSharp.torch;

namespace QuietStar.Core.Checkpoints;

/// <summary>
/// Refuses weights that hold NaN or ±Inf: such a model loads and generates (garbage, or NaN logits that sample id 0),
/// so the file is rejected at load with the tensor named instead.
/// </summary>
internal static class FiniteWeights
{
    /// <summary>Checks every tensor; throws for the first one holding a non-finite value.</summary>
    /// <param name="source">The file (or stream name) the weights came from, for the message.</param>
    /// <param name="weights">The tensors by name, in any floating-point dtype, on any device.</param>
    /// <exception cref="InvalidDataException">A tensor holds NaN or an infinity; the message names the source and the tensor.</exception>
    public static void Check(string source, IEnumerable<KeyValuePair<string, Tensor>> weights)
    {
        foreach (var (name, tensor) in weights)
        {
            using var scope = NewDisposeScope();
            if (tensor.isfinite().all().item<bool>())                                     // isfinite: same shape as the tensor, bool
            {
                continue;
            }

            long nan = tensor.isnan().sum().item<long>();
            long infinite = tensor.isinf().sum().item<long>();
            throw new InvalidDataException(
                $"'{source}': weight '{name}' holds {nan} NaN and {infinite} infinite value(s). A model with non-finite weights " +
                "cannot be used: the file is corrupt or was saved from a diverged training run; load an earlier checkpoint.");
        }
    }
}
