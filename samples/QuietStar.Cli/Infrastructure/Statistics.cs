using QuietStar.Core.Common;

namespace QuietStar.Cli.Infrastructure;

/// <summary>Order statistics for benchmark samples (medians with spread, never a lone mean).</summary>
internal static class Statistics
{
    /// <summary>The q-quantile (0..1) of <paramref name="values"/>, by the library's rule (<see cref="Quantile.OfSorted"/>); NaN when there are none.</summary>
    public static double Quantile(IReadOnlyCollection<double> values, double q) =>
        values.Count == 0 ? double.NaN : Core.Common.Quantile.OfSorted([.. values.Order()], q);

    /// <summary>The median.</summary>
    public static double Median(IReadOnlyCollection<double> values) => Quantile(values, 0.5);
}
