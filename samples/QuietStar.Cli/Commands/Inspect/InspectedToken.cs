namespace QuietStar.Cli.Commands.Inspect;

/// <summary>One predicted token of an inspected text and what the model thought before predicting it.</summary>
/// <param name="Position">The token's position in the encoded text.</param>
/// <param name="Text">The token's text (empty for part of a multi-byte character).</param>
/// <param name="Thought">The thought sampled after the previous token, decoded.</param>
/// <param name="MixingWeight">w of the after-thought prediction.</param>
/// <param name="BaseNll">−log p_base(token), nats.</param>
/// <param name="TalkNll">−log p_after-thought(token), nats.</param>
internal sealed record InspectedToken(int Position, string Text, string Thought, double MixingWeight, double BaseNll, double TalkNll)
{
    /// <summary>How much the thought helped: base NLL − after-thought NLL (positive = better with the thought).</summary>
    public double Gain => BaseNll - TalkNll;
}
