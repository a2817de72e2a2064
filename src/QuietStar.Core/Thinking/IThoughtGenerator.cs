namespace QuietStar.Core.Thinking;

/// <summary>
/// Generates a thought after every token in parallel (paper §4.2): START, T sampled tokens, END, then the M − 1
/// teacher-forced true tokens of the non-myopic talk phase.
/// </summary>
/// <remarks>
/// An implementation should report each sampled thought token's logits to <see cref="ThoughtRequest.StepObserver"/>
/// when one is set. One that does not still trains: the thought entropy and KL metrics are then 0
/// (<see cref="Training.ThoughtRegularization.ThoughtSteps"/> = 0), and the objective throws if their weights are positive.
/// </remarks>
public interface IThoughtGenerator
{
    /// <summary>Continues from the base pass in <see cref="ThoughtRequest.Cache"/> and returns the rollout.</summary>
    ThoughtRollout Generate(ThoughtRequest request);
}
