using System.Text.Json.Serialization;
using QuietStar.Core.Common;

namespace QuietStar.Core.Evaluation;

/// <summary>
/// Compares a candidate model with a baseline on the same text, token by token: the candidate's per-token talk NLL
/// (its prediction with thoughts; the base NLL for a model that does not think) minus the baseline's, with a paired
/// bootstrap confidence interval over all tokens and over the baseline's hardest tokens. The hard set is fixed by
/// the baseline's base NLL so that both models are scored on the same tokens.
/// </summary>
internal static class TextNllComparison
{
    /// <summary>Compares <paramref name="candidate"/> with <paramref name="baseline"/>.</summary>
    /// <param name="candidate">The model under test, evaluated on the same text, windows and length as the baseline.</param>
    /// <param name="baseline">The model to beat (e.g. a plain LM trained for the same number of steps).</param>
    /// <param name="hardFraction">Share of tokens, by the baseline's base NLL, that counts as hard. Default 0.1.</param>
    /// <param name="resamples">Bootstrap resamples. Default 10,000.</param>
    /// <param name="seed">Bootstrap seed.</param>
    /// <exception cref="ArgumentException">The two results do not cover the same tokens.</exception>
    internal static TextNllComparisonResult Compare(TextNllResult candidate, TextNllResult baseline, double hardFraction = 0.1, int resamples = 10_000, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(baseline);
        if (candidate.Tokens != baseline.Tokens)
        {
            throw new ArgumentException(
                $"The candidate was scored on {candidate.Tokens} tokens and the baseline on {baseline.Tokens}; evaluate both on the same text with the same sequence length.");
        }

        if (hardFraction is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(hardFraction), $"The hard fraction must be in (0, 1]; got {hardFraction}.");
        }

        var candidateNll = candidate.TalkNllPerToken ?? candidate.BaseNllPerToken;
        var baselineNll = baseline.TalkNllPerToken ?? baseline.BaseNllPerToken;
        var hard = HardTokens.Hardest(baseline.BaseNllPerToken, hardFraction);
        return new TextNllComparisonResult(
            candidate.Tokens,
            hard.Length,
            PairedBootstrap.Compare(candidateNll, baselineNll, resamples, seed),
            PairedBootstrap.Compare(Pick(candidateNll, hard), Pick(baselineNll, hard), resamples, seed));
    }


    private static double[] Pick(IReadOnlyList<double> values, int[] indices) => indices.Select(i => values[i]).ToArray();
}

/// <summary>Candidate minus baseline per-token NLL (negative = the candidate predicts the text better).</summary>
/// <param name="Tokens">Tokens compared.</param>
/// <param name="HardTokens">Tokens in the hard set (the baseline's hardest by base NLL).</param>
/// <param name="All">Mean difference over all tokens with its bootstrap interval.</param>
/// <param name="Hard">Mean difference over the hard tokens with its bootstrap interval.</param>
public sealed record TextNllComparisonResult(
    [property: JsonPropertyName("n_tokens")] int Tokens,
    [property: JsonPropertyName("n_hard_tokens")] int HardTokens,
    [property: JsonPropertyName("all")] PairedBootstrapResult All,
    [property: JsonPropertyName("hard")] PairedBootstrapResult Hard);
