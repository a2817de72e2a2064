using System.Text.Json.Serialization;

namespace QuietStar.Core.Evaluation.AnswerProbability;

/// <summary>The result of an answer-probability evaluation.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="N">Questions evaluated.</param>
/// <param name="AnswerProbability">Mean over questions of the renormalised probability of the correct answer.</param>
/// <param name="ItemProbabilities">Each question's probability, in data-set order (for paired comparisons).</param>
/// <param name="SkippedMalformed">Malformed data-set lines skipped.</param>
/// <param name="Config">The configuration the evaluation ran with.</param>
public sealed record AnswerProbabilityResult(
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("answer_probability")] double AnswerProbability,
    [property: JsonPropertyName("item_probabilities")] IReadOnlyList<double> ItemProbabilities,
    [property: JsonPropertyName("skipped_malformed")] int SkippedMalformed,
    [property: JsonPropertyName("config")] EvaluationSettings Config);
