using System.Text.Json;
using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Evaluation;

/// <summary>
/// A question-answering data set scored by the probability of its correct answer (the reference's
/// <c>eval_helpers.compute_metrics</c>): how to read its records, how to write a question and its answer, which
/// tokens the answer's probabilities are renormalised over, and which answer tokens are scored.
/// </summary>
internal interface IAnswerProbabilityTask
{
    /// <summary>The task's name, as <see cref="EvaluationTasks.Create(string)"/> knows it.</summary>
    string Name { get; }

    /// <summary>Index, among the answer's tokens, of the first one scored (earlier ones contribute no factor).</summary>
    int FirstScoredAnswerToken { get; }

    /// <summary>Reads one data-set record and writes it as prompt and answer.</summary>
    /// <exception cref="FormatException">The record lacks a field or a field has the wrong form.</exception>
    FormattedQuestion Format(JsonElement record);

    /// <summary>Reads and formats every record of a JSON Lines file (see <see cref="JsonlFile.Read{T}(string, Func{JsonElement, T}, bool)"/>).</summary>
    /// <exception cref="InvalidDataException">A line is malformed and <paramref name="skipMalformed"/> is false, or the file has no record.</exception>
    JsonlReadResult<FormattedQuestion> Load(string path, bool skipMalformed);

    /// <summary>
    /// The token ids an answer token's probability is renormalised over; answer tokens outside the set contribute
    /// no factor, as in the reference.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tokenizer cannot write the answers as this task needs.</exception>
    IReadOnlySet<int> AllowedAnswerTokenIds(TextTokenizer tokenizer);
}

/// <summary>One question written as the model reads it: <see cref="Prompt"/> then <see cref="Answer"/>.</summary>
/// <param name="Prompt">The question up to and including the answer marker, e.g. <c>"Q: …\nA:"</c>.</param>
/// <param name="Answer">The answer after the marker, with its leading space and final newline, e.g. <c>" 18\n"</c>.</param>
internal sealed record FormattedQuestion(string Prompt, string Answer)
{
    /// <summary>The whole text: prompt followed by answer.</summary>
    public string Text => Prompt + Answer;
}

/// <summary>The data sets the answer-probability evaluation (<c>QuietStarPipeline.EvaluateAnswerProbability</c>) reads.</summary>
public enum AnswerProbabilityTask
{
    /// <summary>GSM8K (<c>{"question", "answer": "… #### 5"}</c>): the probability of the final answer's digits.</summary>
    Gsm8k,

    /// <summary>CommonsenseQA (its dev-set format): the probability of the correct choice's letter.</summary>
    CommonsenseQa,
}

/// <summary>The answer-probability tasks by name.</summary>
internal static class EvaluationTasks
{
    /// <summary>The task of <paramref name="task"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="task"/> is not a defined value.</exception>
    public static IAnswerProbabilityTask Create(AnswerProbabilityTask task) => task switch
    {
        AnswerProbabilityTask.Gsm8k => new Gsm8kTask(),
        AnswerProbabilityTask.CommonsenseQa => new CommonsenseQaTask(),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "Unknown answer-probability task."),
    };

    /// <summary>The known task names.</summary>
    public static IReadOnlyList<string> Names { get; } = [Gsm8kTask.TaskName, CommonsenseQaTask.TaskName];

    /// <summary>Creates the task called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No task has that name; the message lists the known ones.</exception>
    public static IAnswerProbabilityTask Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            Gsm8kTask.TaskName => new Gsm8kTask(),
            CommonsenseQaTask.TaskName => new CommonsenseQaTask(),
            _ => throw new ArgumentException($"Unknown evaluation task \"{name}\". Known tasks: {string.Join(", ", Names)}.", nameof(name)),
        };
    }
}
