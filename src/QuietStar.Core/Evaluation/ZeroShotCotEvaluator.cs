using System.Text.Json.Serialization;

namespace QuietStar.Core.Evaluation;

/// <summary>
/// Zero-shot chain-of-thought on GSM8K with a majority vote, as the reference's <c>zero-shotcot-eval.py</c>: for each
/// of k samples, continue <c>"Q: {question}\nA: Let's think step by step."</c> with up to 384 sampled tokens (cut at a
/// new question), append <c>"\nTherefore, the answer (arabic numerals) is"</c>, sample 12 more tokens, and read the
/// first integer; the question is right when the most frequent answer is the true one. Text generation is a delegate,
/// so any generator (with or without thoughts) plugs in.
/// </summary>
/// <remarks>
/// Questions are taken in file order; the reference takes the first 128 of a seed-42 shuffle done by the
/// <c>datasets</c> library, which cannot be reproduced here. Generation j (0 for reasoning, 1 for the answer) of
/// vote v of question i gets the seed <c>Seed + 2·(i·k + v) + j</c>.
/// </remarks>
internal sealed class ZeroShotCotEvaluator
{
    /// <summary>The task's name in results.</summary>
    public const string TaskName = "gsm8k-cot";

    private readonly Func<CotGenerationRequest, string> generate;

    /// <summary>Creates the evaluation over a text generator that returns the continuation of a request's prompt (without the prompt).</summary>
    public ZeroShotCotEvaluator(Func<CotGenerationRequest, string> generate) =>
        this.generate = generate ?? throw new ArgumentNullException(nameof(generate));

    /// <summary>Evaluates the GSM8K JSON Lines file <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="InvalidDataException">The file is empty or has a malformed line (unless skipped).</exception>
    public ZeroShotCotResult Evaluate(string path, ZeroShotCotOptions options, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var read = Gsm8kTask.LoadProblems(path, options.SkipMalformed);
        return Evaluate(read.Items, options, progress, cancellationToken) with { SkippedMalformed = read.SkippedLines };
    }

    /// <summary>Evaluates already parsed problems.</summary>
    /// <exception cref="ArgumentException">An option is invalid or there is no problem.</exception>
    public ZeroShotCotResult Evaluate(IReadOnlyList<Gsm8kProblem> problems, ZeroShotCotOptions options, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var selected = problems.Take(options.Limit ?? int.MaxValue).ToList();
        if (selected.Count == 0)
        {
            throw new ArgumentException("There are no problems to evaluate.", nameof(problems));
        }

        var results = new List<CotQuestionResult>(selected.Count);
        for (int i = 0; i < selected.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.Add(AnswerQuestion(selected[i], i, options));
            progress?.Report(new EvaluationProgress(i + 1, selected.Count));
        }

        return new ZeroShotCotResult(TaskName, results.Count, results.Average(r => r.Correct ? 1.0 : 0.0), results, 0, options with { });
    }

    private CotQuestionResult AnswerQuestion(Gsm8kProblem problem, int index, ZeroShotCotOptions options)
    {
        var votes = new List<long?>(options.Votes);
        var transcripts = new List<string>(options.Votes);
        for (int vote = 0; vote < options.Votes; vote++)
        {
            long seed = unchecked(options.Seed + (2L * ((index * options.Votes) + vote)));
            string prompt = $"Q: {problem.Question}{options.ReasoningPrompt}";
            string reasoning = ZeroShotCotAnswers.TruncateReasoning(generate(new CotGenerationRequest(prompt, options.MaxReasoningTokens, options.Temperature, seed)));
            string answerPrompt = (prompt + reasoning).TrimEnd() + options.AnswerPrompt;
            string answer = generate(new CotGenerationRequest(answerPrompt, options.AnswerTokens, options.Temperature, seed + 1));
            votes.Add(ZeroShotCotAnswers.FirstInteger(answer));
            transcripts.Add(answerPrompt + answer);
        }

        long? gold = ZeroShotCotAnswers.FirstInteger(problem.FinalAnswer);
        long? majority = ZeroShotCotAnswers.MajorityVote(votes);
        return new CotQuestionResult(index, gold, votes, majority, majority is { } m && m == gold, transcripts);
    }
}

/// <summary>One text continuation the zero-shot CoT evaluation asks of a generator.</summary>
/// <param name="Prompt">The text to continue.</param>
/// <param name="MaxNewTokens">The most tokens to generate (fewer when the generator stops at end of text).</param>
/// <param name="Temperature">Sampling temperature.</param>
/// <param name="Seed">Seed of the sampler, so that the whole evaluation is reproducible.</param>
internal sealed record CotGenerationRequest(string Prompt, int MaxNewTokens, double Temperature, long Seed);

/// <summary>One question of the zero-shot CoT evaluation.</summary>
/// <param name="Index">The question's index among the evaluated ones (data-set order).</param>
/// <param name="Gold">The true answer, read as the votes are (the first integer of the text).</param>
/// <param name="Votes">The answer read off each sample; null where the sample gave no number.</param>
/// <param name="Majority">The majority vote.</param>
/// <param name="Correct">Whether the majority vote is the true answer.</param>
/// <param name="Transcripts">Each sample's full text: prompt, reasoning, answer prompt and answer.</param>
public sealed record CotQuestionResult(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("gold")] long? Gold,
    [property: JsonPropertyName("votes")] IReadOnlyList<long?> Votes,
    [property: JsonPropertyName("majority")] long? Majority,
    [property: JsonPropertyName("correct")] bool Correct,
    [property: JsonPropertyName("transcripts")] IReadOnlyList<string> Transcripts);

/// <summary>The result of the zero-shot CoT evaluation (cot-maj@k accuracy).</summary>
/// <param name="Task">The task's name, <c>gsm8k-cot</c>.</param>
/// <param name="N">Questions evaluated.</param>
/// <param name="Accuracy">Share of questions whose majority vote is the true answer.</param>
/// <param name="Questions">Every question's votes and transcripts.</param>
/// <param name="SkippedMalformed">Malformed data-set lines skipped.</param>
/// <param name="Config">The options the evaluation ran with.</param>
public sealed record ZeroShotCotResult(
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("questions")] IReadOnlyList<CotQuestionResult> Questions,
    [property: JsonPropertyName("skipped_malformed")] int SkippedMalformed,
    [property: JsonPropertyName("config")] ZeroShotCotOptions Config);
