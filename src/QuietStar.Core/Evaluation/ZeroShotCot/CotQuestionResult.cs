using System.Text.Json.Serialization;

namespace QuietStar.Core.Evaluation.ZeroShotCot;

/// <summary>One question of the zero-shot CoT evaluation.</summary>
/// <param name="Index">The question's index among the evaluated ones (data-set order).</param>
/// <param name="Gold">The true answer, read as the votes are (<see cref="ZeroShotCotAnswers.FirstInteger"/>).</param>
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
