namespace QuietStar.Core.Inference;

/// <summary>What one quiet decoding step chose, and optionally the thoughts behind it.</summary>
/// <param name="Next">Each row's next token.</param>
/// <param name="ThoughtIds">Each row's sampled thought tokens (T each), when traced.</param>
/// <param name="Weights">Each row's mixing weight w, when traced.</param>
/// <param name="TalkStep">Which talk step of its thought the prediction was: 0 right after END, s after s spoken tokens.</param>
internal sealed record QuietStepResult(int[] Next, int[][]? ThoughtIds, float[]? Weights, int TalkStep);
