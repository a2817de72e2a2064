using System.Globalization;
using System.Text.Json;
using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Evaluation;

/// <summary>
/// GSM8K as the reference evaluates it without a prompt: <c>"Q: {question}\nA: {final number}\n"</c>, scored by the
/// probability of the number's digits and the closing newline, each renormalised over the digits 0–9 and newline.
/// Records are <c>{"question", "answer"}</c>; the answer's last line is <c>#### N</c>.
/// </summary>
/// <remarks>
/// The first answer token is not scored, as in the reference. Under Mistral's tokenizer, and under llama2.c's
/// <c>tok512</c>, that token is the lone space before the number (<c>" 18\n"</c> is <c>▁ 1 8 \n</c>), so every digit is
/// scored. A minus sign, outside the allowed set, contributes no factor. Thousands commas are removed from the
/// number (the reference keeps them, but skips the comma token, so only the context differs).
/// The metric needs a tokenizer that writes numbers one digit per token (Llama, Mistral, Qwen2, tok512); with one
/// that merges digits (GPT-2) <see cref="AllowedAnswerTokenIds"/> fails.
/// </remarks>
internal sealed class Gsm8kTask : IAnswerProbabilityTask
{
    /// <summary>The task's name.</summary>
    public const string TaskName = "gsm8k";

    private const string DigitContext = "\nA: 1";

    /// <inheritdoc/>
    public string Name => TaskName;

    /// <inheritdoc/>
    public int FirstScoredAnswerToken => 1;

    /// <summary>Reads a GSM8K record.</summary>
    /// <exception cref="FormatException">A field is missing or the final answer is not a number.</exception>
    public static Gsm8kProblem Parse(JsonElement record) =>
        new(JsonFields.RequireString(record, "question"), FinalAnswer(JsonFields.RequireString(record, "answer")));

    /// <summary>The number after the last <c>####</c> of a worked solution, thousands commas removed.</summary>
    /// <exception cref="FormatException">There is no <c>####</c> or what follows it is not a number.</exception>
    public static string FinalAnswer(string solution)
    {
        ArgumentNullException.ThrowIfNull(solution);
        int marker = solution.LastIndexOf("####", StringComparison.Ordinal);
        if (marker < 0)
        {
            throw new FormatException("The answer has no final \"#### N\" line.");
        }

        string number = solution[(marker + 4)..].Trim().Replace(",", "", StringComparison.Ordinal);
        return decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _)
            ? number
            : throw new FormatException($"The final answer \"{number}\" after #### is not a number.");
    }

    /// <summary>Writes a problem as <c>"Q: {question}\nA:"</c> + <c>" {number}\n"</c>.</summary>
    public static FormattedQuestion FormatProblem(Gsm8kProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return new FormattedQuestion($"Q: {problem.Question}\nA:", $" {problem.FinalAnswer}\n");
    }

    /// <inheritdoc/>
    public FormattedQuestion Format(JsonElement record) => FormatProblem(Parse(record));

    /// <inheritdoc/>
    public JsonlReadResult<FormattedQuestion> Load(string path, bool skipMalformed) => JsonlFile.Read(path, Format, skipMalformed);

    /// <summary>
    /// Reads GSM8K problems from a JSON Lines file (<c>{"question": …, "answer": "… #### 5"}</c>), for exact match or
    /// zero-shot CoT.
    /// </summary>
    /// <param name="path">The JSON Lines file.</param>
    /// <param name="skipMalformed">Skip (and count) malformed lines instead of throwing.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is malformed (and skipping is off), or the file holds no valid record.</exception>
    public static JsonlReadResult<Gsm8kProblem> LoadProblems(string path, bool skipMalformed = false) => JsonlFile.Read(path, Parse, skipMalformed);

    /// <summary>The tokens of the digits 0–9 inside a number, and of the newline after it.</summary>
    /// <exception cref="InvalidOperationException">The tokenizer does not write numbers one digit per token.</exception>
    public IReadOnlySet<int> AllowedAnswerTokenIds(TextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        try
        {
            var digits = Enumerable.Range(0, 10).Select(d => AnswerTokens.SingleTokenAfter(tokenizer, DigitContext, d.ToString(CultureInfo.InvariantCulture)));
            return digits.Append(AnswerTokens.SingleTokenAfter(tokenizer, DigitContext, "\n")).ToHashSet();
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException(
                $"GSM8K answer probability needs a tokenizer that writes numbers one digit per token: {ex.Message}", ex);
        }
    }
}

/// <summary>A GSM8K problem: the question and its final numeric answer.</summary>
/// <param name="Question">The word problem.</param>
/// <param name="FinalAnswer">The number after the solution's <c>####</c>, thousands commas removed (e.g. <c>"1000"</c>, <c>"-3"</c>).</param>
internal sealed record Gsm8kProblem(string Question, string FinalAnswer);
