namespace QuietStar.Core.Thinking;

/// <summary>
/// Generates a thought after every token in parallel (paper §4.2): START, T sampled tokens, END, then the M − 1
/// teacher-forced true tokens of the non-myopic talk phase.
/// </summary>
public interface IThoughtGenerator
{
    /// <summary>Continues from the base pass in <see cref="ThoughtRequest.Cache"/> and returns the rollout.</summary>
    ThoughtRollout Generate(ThoughtRequest request);
}
