namespace QuietStar.Core.Inference;

/// <summary>
/// One token of a text run through the model with a thought at every position (<c>QuietStarPipeline.InspectAsync</c>):
/// the thought had right before it, the mixing weight, and how likely the token was with and without the thought.
/// </summary>
/// <param name="Position">The token's position in the encoded text (BOS, when the tokenizer has one, is position 0).</param>
/// <param name="Text">The token's text in context, as streaming would print it (empty for part of a multi-byte character).</param>
/// <param name="Thought">The thought sampled after the previous token, decoded (unknown ids as <c>&lt;id&gt;</c>).</param>
/// <param name="MixingWeight">The mixing head's weight w on the after-thought prediction of this token.</param>
/// <param name="BaseNll">−log p_base(token) in nats: the plain model's surprise.</param>
/// <param name="AfterThoughtNll">−log p(token) in nats from the mixed prediction after the thought.</param>
public sealed record TokenInspection(int Position, string Text, string Thought, float MixingWeight, double BaseNll, double AfterThoughtNll)
{
    /// <summary>How much the thought helped: <see cref="BaseNll"/> − <see cref="AfterThoughtNll"/> (positive: the thought made the token likelier).</summary>
    public double Gain => BaseNll - AfterThoughtNll;
}
