namespace QuietStar.Core.Training;

/// <summary>The learning-rate curve after the linear warm-up.</summary>
public enum LearningRateSchedule
{
    /// <summary>Constant at the peak rate (the reference's linear decay over 100,000 steps is constant for its 100 steps). The default.</summary>
    Constant,

    /// <summary>Half a cosine from the peak rate down towards 0 at <see cref="TrainingOptions.Steps"/>.</summary>
    Cosine,
}
