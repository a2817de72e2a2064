
namespace QuietStar.Core.Algorithm;

/// <summary>
/// The swappable parts of the objective. Null parts are the reference implementations
/// (<see cref="ParallelThoughtGenerator"/>, <see cref="NonMyopicLoss"/>, <see cref="ReinforceRewardEstimator"/>).
/// </summary>
/// <param name="ThoughtGenerator">Generates the thoughts at every position.</param>
/// <param name="TeacherForcingLoss">Scores base and talk predictions.</param>
/// <param name="RewardEstimator">Turns the talk NLLs into a policy-gradient loss.</param>
internal sealed record QuietStarComponents(
    IThoughtGenerator? ThoughtGenerator = null,
    ITeacherForcingLoss? TeacherForcingLoss = null,
    IRewardEstimator? RewardEstimator = null)
{
    /// <summary>The reference implementations.</summary>
    public static QuietStarComponents Reference { get; } = new();

    /// <summary>An objective for <paramref name="model"/> made of these parts.</summary>
    /// <param name="model">The model to train or evaluate.</param>
    /// <param name="options">Options overriding the model's own (e.g. one pass for evaluation); the model's when null.</param>
    /// <param name="releaseSavedTensorsInBackward">See <see cref="QuietStarObjective.ReleaseSavedTensorsInBackward"/>.</param>
    public QuietStarObjective CreateObjective(QuietStarModel model, QuietStarOptions? options = null, bool releaseSavedTensorsInBackward = false) =>
        new(model, ThoughtGenerator, TeacherForcingLoss, RewardEstimator, options) { ReleaseSavedTensorsInBackward = releaseSavedTensorsInBackward };
}
