using System.Text.Json.Serialization;

namespace QuietStar.Core.Evaluation;

/// <summary>The configuration an evaluation ran with, reported with its result.</summary>
/// <param name="Thoughts">Whether the scored predictions came after a thought at every position.</param>
/// <param name="ThoughtTokens">Sampled tokens per thought (0 without thoughts).</param>
/// <param name="Seed">Seed of the thought sampler.</param>
/// <param name="SequenceLength">Tokens per evaluated sequence (crop/pad length or text window).</param>
/// <param name="BatchSize">Sequences per forward pass (the thoughts drawn depend on it).</param>
public sealed record EvaluationSettings(
    [property: JsonPropertyName("thoughts")] bool Thoughts,
    [property: JsonPropertyName("thought_tokens")] int ThoughtTokens,
    [property: JsonPropertyName("seed")] long Seed,
    [property: JsonPropertyName("seq_len")] int SequenceLength,
    [property: JsonPropertyName("batch_size")] int BatchSize);

/// <summary>How far an evaluation has come, reported after every batch (or question).</summary>
/// <param name="Completed">Items (questions or text windows) done.</param>
/// <param name="Total">Items in the evaluation.</param>
internal sealed record EvaluationProgress(int Completed, int Total);
