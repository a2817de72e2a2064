namespace QuietStar.Core.Evaluation;

/// <summary>How far an evaluation has come, reported after every batch (or question).</summary>
/// <param name="Completed">Items (questions or text windows) done.</param>
/// <param name="Total">Items in the evaluation.</param>
public sealed record EvaluationProgress(int Completed, int Total);
