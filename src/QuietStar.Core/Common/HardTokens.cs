namespace QuietStar.Core.Common;

/// <summary>
/// Picks the "hard" tokens, those predicted worst: the one rule of the library (text NLL, the comparison of two models,
/// validation during training).
/// </summary>
internal static class HardTokens
{
    /// <summary>
    /// Indices of the ⌈fraction · n⌉ largest values (at least one), hardest first; among equal values the earlier index
    /// is taken first.
    /// </summary>
    public static int[] Hardest(IReadOnlyList<double> values, double fraction)
    {
        int count = Math.Max(1, (int)Math.Ceiling(fraction * values.Count));
        return [.. Enumerable.Range(0, values.Count)
            .OrderByDescending(i => values[i])
            .ThenBy(i => i)
            .Take(count)];
    }

    /// <summary>The tokens of <see cref="Hardest"/>, in ascending index order.</summary>
    public static int[] TopFraction(IReadOnlyList<double> values, double fraction) => [.. Hardest(values, fraction).Order()];
}
