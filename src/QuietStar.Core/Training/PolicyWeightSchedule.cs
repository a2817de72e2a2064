using QuietStar.Core.Configuration;

namespace QuietStar.Core.Training;

/// <summary>
/// The weight the policy-gradient term enters the loss with at a given thought step: 0 without the policy term,
/// otherwise <see cref="QuietStarOptions.PolicyLossWeight"/> ramped linearly over
/// <see cref="QuietStarOptions.PolicyWeightWarmupSteps"/> (0 at step 0, the full weight from step N on).
/// </summary>
public static class PolicyWeightSchedule
{
    /// <summary>The policy weight at <paramref name="step"/>.</summary>
    /// <param name="options">The algorithm's options.</param>
    /// <param name="step">
    /// Optimizer steps already taken with thoughts (0 for the first); null means after the warm-up, e.g. for evaluation.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public static double At(QuietStarOptions options, int? step)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (step < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "The thought step must be ≥ 0.");
        }

        if (!options.IncludePolicyLoss)
        {
            return 0.0;
        }

        int warmup = options.PolicyWeightWarmupSteps;
        return step is not { } taken || warmup == 0 || taken >= warmup
            ? options.PolicyLossWeight
            : options.PolicyLossWeight * taken / warmup;
    }
}
