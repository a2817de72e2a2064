using QuietStar.Core.Common;

namespace QuietStar.Cli.Infrastructure;

/// <summary>Order statistics for benchmark samples (medians with spread, never a lone mean).</summary>
internal static class Statistics
{
    /// <summary>The q-quantile (0..1) of <paramref name="values"/> by linear interpolation.</summary>
    public static double Quantile(IReadOnlyCollection<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }

    /// <summary>The median.</summary>
    public static double Median(IReadOnlyCollection<double> values) => Quantile(values, 0.5);
}
