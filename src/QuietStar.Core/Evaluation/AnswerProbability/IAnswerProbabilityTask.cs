using System.Text.Json;
using QuietStar.Core.Evaluation.Datasets;
using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Evaluation.AnswerProbability;

/// <summary>
/// A question-answering data set scored by the probability of its correct answer (the reference's
/// <c>eval_helpers.compute_metrics</c>): how to read its records, how to write a question and its answer, which
/// tokens the answer's probabilities are renormalised over, and which answer tokens are scored.
/// </summary>
public interface IAnswerProbabilityTask
{
    /// <summary>The task's name, as <see cref="EvaluationTasks.Create"/> knows it.</summary>
    string Name { get; }

    /// <summary>Index, among the answer's tokens, of the first one scored (earlier ones contribute no factor).</summary>
    int FirstScoredAnswerToken { get; }

    /// <summary>Reads one data-set record and writes it as prompt and answer.</summary>
    /// <exception cref="FormatException">The record lacks a field or a field has the wrong form.</exception>
    FormattedQuestion Format(JsonElement record);

    /// <summary>Reads and formats every record of a JSON Lines file (see <see cref="JsonlFile.Read{T}"/>).</summary>
    /// <exception cref="InvalidDataException">A line is malformed and <paramref name="skipMalformed"/> is false, or the file has no record.</exception>
    JsonlReadResult<FormattedQuestion> Load(string path, bool skipMalformed);

    /// <summary>
    /// The token ids an answer token's probability is renormalised over; answer tokens outside the set contribute
    /// no factor, as in the reference.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tokenizer cannot write the answers as this task needs.</exception>
    IReadOnlySet<int> AllowedAnswerTokenIds(TextTokenizer tokenizer);
}
