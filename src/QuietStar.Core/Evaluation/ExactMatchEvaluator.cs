using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using QuietStar.Core.Inference;
using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Evaluation;

/// <summary>One problem's outcome.</summary>
/// <param name="Question">The question.</param>
/// <param name="Expected">The reference answer (a number).</param>
/// <param name="Generated">What the model wrote after the prompt, up to the newline.</param>
/// <param name="Parsed">The number read from <paramref name="Generated"/>, or null if it starts with none.</param>
/// <param name="Correct">Whether <paramref name="Parsed"/> equals <paramref name="Expected"/> as a number.</param>
/// <param name="Thoughts">The thought behind each generated token, in order (empty without thoughts).</param>
public sealed record ExactMatchItem(
    [property: JsonPropertyName("question")] string Question,
    [property: JsonPropertyName("expected")] string Expected,
    [property: JsonPropertyName("generated")] string Generated,
    [property: JsonPropertyName("parsed")] string? Parsed,
    [property: JsonPropertyName("correct")] bool Correct,
    [property: JsonPropertyName("thoughts")] IReadOnlyList<GeneratedThought> Thoughts);

/// <summary>Exact-match accuracy with its 95 % Wilson score interval.</summary>
/// <param name="Accuracy">Fraction of problems answered exactly.</param>
/// <param name="Correct">Problems answered exactly.</param>
/// <param name="N">Problems evaluated.</param>
/// <param name="Lower">Lower end of the 95 % interval.</param>
/// <param name="Upper">Upper end of the 95 % interval.</param>
/// <param name="Items">Each problem's outcome, in order.</param>
/// <param name="SkippedMalformed">Malformed data-set lines skipped (with <see cref="ExactMatchOptions.SkipMalformed"/>).</param>
public sealed record ExactMatchResult(
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("correct")] int Correct,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("ci_lower")] double Lower,
    [property: JsonPropertyName("ci_upper")] double Upper,
    [property: JsonPropertyName("items")] IReadOnlyList<ExactMatchItem> Items,
    [property: JsonPropertyName("skipped_malformed")] int SkippedMalformed);

/// <summary>
/// Zero-shot exact match on GSM8K-layout problems: the model greedily writes the answer after <c>"Q: {question}\nA:"</c>
/// (thinking as its <see cref="ExactMatchOptions.Thoughts"/> say), and the number its answer starts with must equal
/// the final answer. The prompt ends where the reference text <c>"… A: {answer}\n"</c> puts its first answer digit, so a
/// tokenizer that writes the space on its own (a character-level SentencePiece) is prompted with it, and one that
/// merges it into the number (GPT-2's " 933") is not.
/// </summary>
internal sealed partial class ExactMatchEvaluator
{
    private readonly QuietStarGenerator generator;
    private readonly TextTokenizer tokenizer;

    /// <summary>An evaluator that decodes with <paramref name="generator"/>.</summary>
    /// <param name="generator">The model's generator (a plain model decodes without thoughts).</param>
    /// <param name="tokenizer">The tokenizer the generator uses.</param>
    public ExactMatchEvaluator(QuietStarGenerator generator, TextTokenizer tokenizer)
    {
        this.generator = generator ?? throw new ArgumentNullException(nameof(generator));
        this.tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
    }

    /// <summary>Decodes every problem's answer and scores it.</summary>
    /// <param name="problems">The problems (question and final numeric answer).</param>
    /// <param name="options">Decoding options.</param>
    /// <param name="progress">Receives (completed, total) after each batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">No problems, or invalid options.</exception>
    public ExactMatchResult Evaluate(IReadOnlyList<Gsm8kProblem> problems, ExactMatchOptions options,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (problems.Count == 0)
        {
            throw new ArgumentException("Give at least one problem.", nameof(problems));
        }

        var prompts = problems.Select(problem => Prompt(problem, options.AnswerPrefix)).ToArray();
        var items = new List<ExactMatchItem>(problems.Count);
        for (int start = 0; start < problems.Count; start += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(options.BatchSize, problems.Count - start);
            var generation = new GenerationOptions
            {
                MaxTokens = options.MaxTokens,
                Greedy = true,
                StopAtEos = true,
                StopStrings = ["\n"],
                Seed = options.Seed + start, // row r of the batch samples its thoughts from seed + start + r: one stream per problem
            };
            var texts = generator.GenerateFromIds(prompts[start..(start + count)], generation, generator.CanThink ? options.Thoughts : ThoughtOptions.None);
            for (int i = 0; i < count; i++)
            {
                var problem = problems[start + i];
                string generated = texts[i].Text.Text.Split('\n')[0];
                string? parsed = ReadAnswer(generated, options.AnswerAfter);
                items.Add(new ExactMatchItem(problem.Question, problem.FinalAnswer, generated, parsed, Matches(parsed, problem.FinalAnswer), texts[i].Thoughts));
            }

            progress?.Report(new EvaluationProgress(items.Count, problems.Count));
        }

        int correct = items.Count(item => item.Correct);
        var (low, high) = WilsonInterval(correct, items.Count);
        return new ExactMatchResult((double)correct / items.Count, correct, items.Count, low, high, items, 0);
    }

    /// <summary>
    /// The prompt's token ids: BOS (if the tokenizer has one), <c>"Q: {question}\nA:"</c>, and every token of
    /// <c>" {prefix}{answer}\n"</c> before its first digit or sign (e.g. a lone space, or a space and "(").
    /// </summary>
    public int[] Prompt(Gsm8kProblem problem, string answerPrefix = "")
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(answerPrefix);
        var formatted = Gsm8kTask.FormatProblem(problem);
        int[] context = tokenizer.Encode(formatted.Prompt, addBos: tokenizer.BosId is not null);
        int[] answer = AnswerTokens.After(tokenizer, formatted.Prompt, " " + answerPrefix + formatted.Answer.TrimStart());
        int lead = 0;
        while (lead < answer.Length && !tokenizer.Decode([answer[lead]]).Any(c => char.IsAsciiDigit(c) || c == '-'))
        {
            lead++;
        }

        return [.. context, .. answer[..lead]];
    }

    /// <summary>
    /// The answer in a generated line: the number it starts with, or, with <paramref name="answerAfter"/>, the number
    /// right after the last occurrence of that text (null when the text does not occur).
    /// </summary>
    public static string? ReadAnswer(string generated, string? answerAfter)
    {
        ArgumentNullException.ThrowIfNull(generated);
        if (answerAfter is null)
        {
            return ParseNumber(generated);
        }

        int at = generated.LastIndexOf(answerAfter, StringComparison.Ordinal);
        return at < 0 ? null : ParseNumber(generated[(at + answerAfter.Length)..]);
    }

    /// <summary>The number a continuation starts with (after spaces; thousands commas dropped), or null.</summary>
    public static string? ParseNumber(string continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var match = LeadingNumber().Match(continuation);
        return match.Success ? match.Value.Trim().Replace(",", "", StringComparison.Ordinal) : null;
    }

    /// <summary>Whether <paramref name="parsed"/> and <paramref name="expected"/> are the same number (so "933.0" matches "933").</summary>
    public static bool Matches(string? parsed, string expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        const NumberStyles style = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint;
        return parsed is not null
            && decimal.TryParse(parsed, style, CultureInfo.InvariantCulture, out decimal a)
            && decimal.TryParse(expected.Replace(",", "", StringComparison.Ordinal), style, CultureInfo.InvariantCulture, out decimal b)
            && a == b;
    }

    /// <summary>The 95 % Wilson score interval of <paramref name="successes"/> in <paramref name="n"/> trials.</summary>
    public static (double Low, double High) WilsonInterval(int successes, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, n);
        const double z = 1.959963984540054;
        double p = (double)successes / n, z2 = z * z / n;
        double centre = (p + z2 / 2) / (1 + z2);
        double half = z / (1 + z2) * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    [GeneratedRegex(@"^\s*-?\d[\d,]*(\.\d+)?")]
    private static partial Regex LeadingNumber();
}
