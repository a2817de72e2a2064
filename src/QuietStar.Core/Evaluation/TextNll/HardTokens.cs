namespace QuietStar.Core.Evaluation.TextNll;

/// <summary>Picks the "hard" tokens: those the model predicts worst.</summary>
internal static class HardTokens
{
    /// <summary>
    /// Indices, ascending, of the ⌈fraction · n⌉ largest values (at least one); among equal values the earlier index
    /// is taken first.
    /// </summary>
    public static int[] TopFraction(IReadOnlyList<double> values, double fraction)
    {
        int count = Math.Max(1, (int)Math.Ceiling(fraction * values.Count));
        return [.. Enumerable.Range(0, values.Count)
            .OrderByDescending(i => values[i])
            .ThenBy(i => i)
            .Take(count)
            .Order()];
    }
}
