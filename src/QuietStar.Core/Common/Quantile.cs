namespace QuietStar.Core.Common;

/// <summary>Order statistics: the one quantile rule of the library (linear interpolation between neighbours).</summary>
internal static class Quantile
{
    /// <summary>The <paramref name="q"/>-quantile (0..1) of ascending <paramref name="sorted"/> values.</summary>
    public static double OfSorted(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }
}
