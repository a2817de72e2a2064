namespace QuietStar.Core.Inference;

/// <summary>The thought a Quiet-STaR model had before a token, for inspection.</summary>
/// <param name="TokenIds">The T sampled thought tokens (START and END are implicit).</param>
/// <param name="Text">The thought tokens decoded on their own; ids the tokenizer does not know appear as <c>&lt;id&gt;</c>.</param>
/// <param name="MixingWeight">
/// The mixing head's weight w on the post-thought prediction: the token was chosen from
/// <c>(1 − w)·base + w·after-thought</c>. Unbounded, as in the reference; 0 for an untrained head.
/// </param>
public sealed record GeneratedThought(IReadOnlyList<int> TokenIds, string Text, float MixingWeight);
