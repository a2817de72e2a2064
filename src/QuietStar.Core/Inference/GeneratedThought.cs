using QuietStar.Core.Algorithm;

namespace QuietStar.Core.Inference;

/// <summary>The thought a Quiet-STaR model had before a token, for inspection.</summary>
/// <param name="TokenIds">The T sampled thought tokens (START and END are implicit).</param>
/// <param name="Text">The thought tokens decoded on their own; ids the tokenizer does not know appear as <c>&lt;id&gt;</c>.</param>
/// <param name="MixingWeight">
/// The mixing head's weight w on the post-thought prediction: the token was chosen from
/// <c>(1 − w)·base + w·after-thought</c>. Unbounded, as in the reference; 0 for an untrained head.
/// </param>
/// <param name="TalkStep">
/// 0 when the thought was had right before this token; s when the token is the (s+1)-th spoken along an earlier
/// thought's branch (<see cref="ThoughtDecoding.ThinkThenSpeak"/>).
/// </param>
public sealed record GeneratedThought(IReadOnlyList<int> TokenIds, string Text, float MixingWeight, int TalkStep = 0);
