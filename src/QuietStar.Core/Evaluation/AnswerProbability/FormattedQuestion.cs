namespace QuietStar.Core.Evaluation.AnswerProbability;

/// <summary>One question written as the model reads it: <see cref="Prompt"/> then <see cref="Answer"/>.</summary>
/// <param name="Prompt">The question up to and including the answer marker, e.g. <c>"Q: …\nA:"</c>.</param>
/// <param name="Answer">The answer after the marker, with its leading space and final newline, e.g. <c>" 18\n"</c>.</param>
public sealed record FormattedQuestion(string Prompt, string Answer)
{
    /// <summary>The whole text: prompt followed by answer.</summary>
    public string Text => Prompt + Answer;
}
