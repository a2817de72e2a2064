using System.Text.Json.Serialization;

namespace QuietStar.Core.Evaluation.ZeroShotCot;

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
