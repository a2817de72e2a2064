namespace QuietStar.Core.Evaluation.TextNll;

/// <summary>Cuts a tokenised text into the windows the NLL evaluation scores.</summary>
internal static class TextWindows
{
    /// <summary>
    /// Non-overlapping windows of at most <paramref name="length"/> tokens, each BOS followed by the next
    /// <paramref name="length"/> − 1 text tokens (the last window may be shorter). Every text token is a target once.
    /// </summary>
    public static List<int[]> Split(int[] tokens, int bosId, int length)
    {
        int stride = length - 1;
        var windows = new List<int[]>((tokens.Length + stride - 1) / stride);
        for (int start = 0; start < tokens.Length; start += stride)
        {
            windows.Add([bosId, .. tokens.AsSpan(start, Math.Min(stride, tokens.Length - start))]);
        }

        return windows;
    }
}
