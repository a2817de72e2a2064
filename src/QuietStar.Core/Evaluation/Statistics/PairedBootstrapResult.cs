using System.Text.Json.Serialization;

namespace QuietStar.Core.Evaluation.Statistics;

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
