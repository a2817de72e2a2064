using System.Text.Json.Serialization;
using QuietStar.Core.Evaluation.Statistics;

namespace QuietStar.Core.Evaluation.Comparison;

/// <summary>Candidate minus baseline per-token NLL (negative = the candidate predicts the text better).</summary>
/// <param name="NTokens">Tokens compared.</param>
/// <param name="NHardTokens">Tokens in the hard set (the baseline's hardest by base NLL).</param>
/// <param name="All">Mean difference over all tokens with its bootstrap interval.</param>
/// <param name="Hard">Mean difference over the hard tokens with its bootstrap interval.</param>
public sealed record TextNllComparisonResult(
    [property: JsonPropertyName("n_tokens")] int NTokens,
    [property: JsonPropertyName("n_hard_tokens")] int NHardTokens,
    [property: JsonPropertyName("all")] PairedBootstrapResult All,
    [property: JsonPropertyName("hard")] PairedBootstrapResult Hard);
