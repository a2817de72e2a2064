using System.Text.Json.Serialization;
using QuietStar.Core.Common;

namespace QuietStar.Core.Evaluation;

/// <summary>
/// Paired bootstrap for comparing two sets of per-item values measured on the same items (e.g. the per-token NLLs of
/// two models on one text, or base vs thought NLL of one model): resample the item indices with replacement, take
/// the mean of the paired differences each time, and read the interval off the percentiles.
/// </summary>
internal static class PairedBootstrap
{
    /// <summary>Estimates mean(first − second) and its percentile confidence interval.</summary>
    /// <param name="first">Per-item values of the first system.</param>
    /// <param name="second">Per-item values of the second system, paired with <paramref name="first"/> by index.</param>
    /// <param name="resamples">Bootstrap resamples. Default 10,000.</param>
    /// <param name="seed">Seed of the resampling (<see cref="Random(int)"/>, stable across .NET versions): same seed, same interval.</param>
    /// <param name="confidence">Confidence level of the interval. Default 0.95.</param>
    /// <exception cref="ArgumentException">The arrays are empty or of different lengths, or an argument is out of range.</exception>
    public static PairedBootstrapResult Compare(IReadOnlyList<double> first, IReadOnlyList<double> second, int resamples = 10_000, long seed = 0, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count == 0 || first.Count != second.Count)
        {
            throw new ArgumentException($"Paired values must be two non-empty arrays of one length; got {first.Count} and {second.Count}.", nameof(second));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        if (confidence is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence level must lie strictly between 0 and 1.");
        }

        double[] differences = [.. first.Zip(second, (a, b) => a - b)];
        double[] means = ResampledMeans(differences, resamples, new Random(unchecked((int)seed)));
        Array.Sort(means);
        double tail = (1 - confidence) / 2;
        return new PairedBootstrapResult(differences.Average(), Quantile.OfSorted(means, tail), Quantile.OfSorted(means, 1 - tail), confidence, resamples, differences.Length);
    }

    private static double[] ResampledMeans(double[] values, int resamples, Random random)
    {
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (int i = 0; i < values.Length; i++)
            {
                sum += values[random.Next(values.Length)];
            }

            means[r] = sum / values.Length;
        }

        return means;
    }
}

/// <summary>A paired bootstrap estimate of mean(first − second) with its percentile confidence interval.</summary>
/// <param name="MeanDifference">The observed mean of first − second.</param>
/// <param name="Lower">Lower end of the confidence interval.</param>
/// <param name="Upper">Upper end of the confidence interval.</param>
/// <param name="Confidence">The interval's confidence level, e.g. 0.95.</param>
/// <param name="Resamples">Bootstrap resamples drawn.</param>
/// <param name="N">Pairs.</param>
public sealed record PairedBootstrapResult(
    [property: JsonPropertyName("mean_difference")] double MeanDifference,
    [property: JsonPropertyName("ci_lower")] double Lower,
    [property: JsonPropertyName("ci_upper")] double Upper,
    [property: JsonPropertyName("confidence")] double Confidence,
    [property: JsonPropertyName("resamples")] int Resamples,
    [property: JsonPropertyName("n")] int N)
{
    /// <summary>Whether the interval lies entirely on one side of zero.</summary>
    [JsonIgnore]
    public bool ExcludesZero => Lower > 0 || Upper < 0;
}
