using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Evaluation;

namespace QuietStar.Cli.Commands.Eval;

/// <summary>Shows an evaluation's progress (reported on the evaluating thread) on the progress display.</summary>
/// <param name="display">The display.</param>
/// <param name="unit">What is counted, e.g. "questions".</param>
internal sealed class EvaluationMonitor(ProgressDisplay display, string unit) : IProgress<EvaluationProgress>
{
    /// <inheritdoc />
    public void Report(EvaluationProgress value) => display.Update(value.Completed, $"{value.Completed}/{value.Total} {unit}", value.Total);
}
