using QuietStar.Cli.Infrastructure;

namespace QuietStar.Cli.Commands.Eval;

/// <summary>Shows an evaluation's progress (reported on the evaluating thread) on the progress display.</summary>
/// <param name="display">The display.</param>
/// <param name="unit">What is counted, e.g. "questions".</param>
internal sealed class EvaluationMonitor(ProgressDisplay display, string unit) : IProgress<(int Completed, int Total)>
{
    /// <inheritdoc />
    public void Report((int Completed, int Total) value) => display.Update(value.Completed, $"{value.Completed}/{value.Total} {unit}", value.Total);
}
