using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Data;

/// <summary>
/// A right-padded batch of token sequences (training crops, validation and evaluation windows alike). The tensors
/// belong to the caller's dispose scope.
/// </summary>
/// <param name="InputIds">Token ids <c>[B, L]</c> (int64), padded with the corpus's pad id.</param>
/// <param name="IsReal">Boolean <c>[B, L]</c>: false at padding, which no loss may score.</param>
/// <param name="RealTokens">Number of true entries of <paramref name="IsReal"/>.</param>
internal sealed record SequenceBatch(Tensor InputIds, Tensor IsReal, long RealTokens)
{
    /// <summary>Pads each window (≤ <paramref name="length"/> tokens) to <paramref name="length"/> and stacks them.</summary>
    internal static SequenceBatch Create(IReadOnlyList<int[]> windows, int length, long padTokenId, Device device)
    {
        var ids = new long[windows.Count * length];
        var real = new bool[windows.Count * length];
        long realTokens = 0;
        for (int row = 0; row < windows.Count; row++)
        {
            int[] window = windows[row];
            for (int t = 0; t < length; t++)
            {
                bool isReal = t < window.Length;
                ids[(row * length) + t] = isReal ? window[t] : padTokenId;
                real[(row * length) + t] = isReal;
            }

            realTokens += window.Length;
        }

        long[] shape = [windows.Count, length];
        return new SequenceBatch(torch.tensor(ids, shape, device: device), torch.tensor(real, shape, device: device), realTokens); // [B, L]
    }

    /// <summary>Pads sequences of any length to the longest of them (at least <paramref name="minLength"/>) and stacks them.</summary>
    internal static SequenceBatch Pad(IReadOnlyList<int[]> sequences, long padTokenId, Device device, int minLength = 1) =>
        Create(sequences, Math.Max(minLength, sequences.Max(s => s.Length)), padTokenId, device);
}
