namespace QuietStar.Core.Training;

/// <summary>The learning-rate factor of each optimizer step: linear warm-up, then constant or cosine (LambdaLR-style).</summary>
internal static class LearningRateCurve
{
    /// <summary>The factor applied to the peak rate at optimizer step <paramref name="step"/> (1-based).</summary>
    public static double Factor(int step, TrainingOptions options)
    {
        int index = step - 1;
        if (index < options.WarmupSteps)
        {
            return (index + 1) / (double)options.WarmupSteps;
        }

        if (options.Schedule == LearningRateSchedule.Constant)
        {
            return 1.0;
        }

        double progress = (index - options.WarmupSteps) / (double)Math.Max(1, options.Steps - options.WarmupSteps);
        return 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1.0, progress)));
    }
}
