namespace QuietStar.Core.Evaluation.AnswerProbability;

/// <summary>A GSM8K problem: the question and its final numeric answer.</summary>
/// <param name="Question">The word problem.</param>
/// <param name="FinalAnswer">The number after the solution's <c>####</c>, thousands commas removed (e.g. <c>"1000"</c>, <c>"-3"</c>).</param>
public sealed record Gsm8kProblem(string Question, string FinalAnswer);
