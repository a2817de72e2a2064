namespace QuietStar.Core.Evaluation.AnswerProbability;

/// <summary>The answer-probability tasks by name.</summary>
public static class EvaluationTasks
{
    /// <summary>The known task names.</summary>
    public static IReadOnlyList<string> Names { get; } = [Gsm8kTask.TaskName, CommonsenseQaTask.TaskName];

    /// <summary>Creates the task called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No task has that name; the message lists the known ones.</exception>
    public static IAnswerProbabilityTask Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            Gsm8kTask.TaskName => new Gsm8kTask(),
            CommonsenseQaTask.TaskName => new CommonsenseQaTask(),
            _ => throw new ArgumentException($"Unknown evaluation task \"{name}\". Known tasks: {string.Join(", ", Names)}.", nameof(name)),
        };
    }
}
