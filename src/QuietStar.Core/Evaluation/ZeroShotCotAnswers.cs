using System.Globalization;
using System.Text.RegularExpressions;

namespace QuietStar.Core.Evaluation;

/// <summary>The pure parts of the zero-shot CoT evaluation: reading an answer off generated text and voting.</summary>
internal static partial class ZeroShotCotAnswers
{
    /// <summary>
    /// The first run of ASCII digits in <paramref name="text"/> after removing commas, as the reference's
    /// <c>extract_first_integer</c>: <c>"is $1,250."</c> → 1250. A sign is not read (<c>"-3"</c> → 3), for the
    /// generated and the true answer alike. Null when there is no digit or the number exceeds <see cref="long.MaxValue"/>.
    /// </summary>
    public static long? FirstInteger(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = Digits().Match(text.Replace(",", "", StringComparison.Ordinal));
        return match.Success && long.TryParse(match.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;
    }

    /// <summary>
    /// The most frequent vote, as the reference's <c>Counter(votes).most_common(1)</c>: "no answer" (null) is a vote
    /// like any other, and a tie goes to the value that was voted first.
    /// </summary>
    /// <exception cref="ArgumentException">There are no votes.</exception>
    public static long? MajorityVote(IReadOnlyList<long?> votes)
    {
        ArgumentNullException.ThrowIfNull(votes);
        if (votes.Count == 0)
        {
            throw new ArgumentException("A majority vote needs at least one vote.", nameof(votes));
        }

        return votes.GroupBy(v => v).OrderByDescending(group => group.Count()).First().Key;
    }

    /// <summary>
    /// Cuts generated reasoning where the reference stops generating: before a new question (<c>"Q:"</c>, whose first
    /// occurrence is in the prompt) or before the second run of three newlines.
    /// </summary>
    public static string TruncateReasoning(string continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        int cut = continuation.IndexOf("Q:", StringComparison.Ordinal);
        int firstBreak = continuation.IndexOf("\n\n\n", StringComparison.Ordinal);
        int secondBreak = firstBreak < 0 ? -1 : continuation.IndexOf("\n\n\n", firstBreak + 3, StringComparison.Ordinal);
        int end = new[] { cut, secondBreak, continuation.Length }.Where(i => i >= 0).Min();
        return continuation[..end];
    }

    [GeneratedRegex("[0-9]+", RegexOptions.CultureInvariant)]
    private static partial Regex Digits();
}
