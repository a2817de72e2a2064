using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Evaluation.Forward;

/// <summary>Token sequences of different lengths, right-padded into one batch.</summary>
/// <param name="Ids">Token ids <c>[B, L]</c> (int64), padded with the pad id.</param>
/// <param name="IsReal">Boolean <c>[B, L]</c>: true at real tokens.</param>
internal sealed record TokenBatch(Tensor Ids, Tensor IsReal)
{
    /// <summary>
    /// Right-pads <paramref name="sequences"/> to the longest of them, and to at least <paramref name="minLength"/>.
    /// Under causal attention trailing padding changes no prediction at a real position.
    /// </summary>
    public static TokenBatch Pad(IReadOnlyList<int[]> sequences, long padId, Device device, int minLength = 1)
    {
        int length = Math.Max(minLength, sequences.Max(s => s.Length));
        var ids = new long[sequences.Count * length];
        var real = new bool[sequences.Count * length];
        Array.Fill(ids, padId);
        for (int b = 0; b < sequences.Count; b++)
        {
            for (int t = 0; t < sequences[b].Length; t++)
            {
                ids[b * length + t] = sequences[b][t];
                real[b * length + t] = true;
            }
        }

        long[] shape = [sequences.Count, length];
        return new TokenBatch(torch.tensor(ids, shape, device: device), torch.tensor(real, shape, device: device)); // [B, L]
    }
}
