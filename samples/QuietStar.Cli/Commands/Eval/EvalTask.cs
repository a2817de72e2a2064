using QuietStar.Cli.Assets;
using QuietStar.Core.Evaluation;

namespace QuietStar.Cli.Commands.Eval;

/// <summary>A task <c>quietstar eval</c> runs.</summary>
/// <param name="Name">The name on the command line.</param>
/// <param name="Aliases">Other accepted names.</param>
/// <param name="DefaultData">The embedded data set used without <c>--data</c>; null when the task needs <c>--data</c>.</param>
internal sealed record EvalTask(string Name, IReadOnlyList<string> Aliases, EmbeddedDataset? DefaultData)
{
    /// <summary>GSM8K answer probability (or zero-shot CoT accuracy with <c>--cot</c>).</summary>
    public static EvalTask Gsm8k { get; } = new("gsm8k", [], EmbeddedDataset.Gsm8kTest);

    /// <summary>CommonsenseQA answer probability.</summary>
    public static EvalTask CommonsenseQa { get; } = new("csqa", ["commonsenseqa"], EmbeddedDataset.CommonsenseQaDev);

    /// <summary>Per-token NLL of a text file, overall and on the hardest tokens.</summary>
    public static EvalTask Text { get; } = new("text", [], null);

    /// <summary>Every task.</summary>
    public static IReadOnlyList<EvalTask> All { get; } = [Gsm8k, CommonsenseQa, Text];

    /// <summary>The tasks for messages: "gsm8k, csqa (commonsenseqa), text".</summary>
    public static string Listing => string.Join(", ", All.Select(t => t.Aliases.Count == 0 ? t.Name : $"{t.Name} ({string.Join(", ", t.Aliases)})"));

    /// <summary>Whether the task scores answer probabilities (GSM8K, CommonsenseQA) rather than text.</summary>
    public bool IsAnswerProbability => this != Text;

    /// <summary>The task called <paramref name="name"/> (case-insensitive, aliases included), or null.</summary>
    public static EvalTask? Find(string? name) => All.FirstOrDefault(t =>
        string.Equals(t.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase) ||
        t.Aliases.Any(a => string.Equals(a, name?.Trim(), StringComparison.OrdinalIgnoreCase)));

    /// <summary>The library's answer-probability task.</summary>
    public AnswerProbabilityTask AnswerProbabilityTask => this == CommonsenseQa ? AnswerProbabilityTask.CommonsenseQa : AnswerProbabilityTask.Gsm8k;
}
