using System.Diagnostics;
using Spectre.Console;

namespace QuietStar.Cli.Infrastructure;

/// <summary>
/// Progress of a long job on the diagnostics console (stderr): a live bar with a status line on a terminal, or plain
/// lines when stderr is redirected (the first update, then at most one every <see cref="PlainInterval"/>, and the last).
/// The job runs on the calling thread, as TorchSharp's dispose scopes require.
/// </summary>
internal sealed class ProgressDisplay
{
    /// <summary>Least time between two plain progress lines.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(10);

    private readonly CliConsole console;
    private readonly string title;
    private double total;
    private readonly ProgressTask? task;
    private readonly Stopwatch sinceLine = new();

    private ProgressDisplay(CliConsole console, string title, double total, ProgressTask? task)
    {
        this.console = console;
        this.title = title;
        this.total = total;
        this.task = task;
    }

    /// <summary>Whether progress is drawn live (stderr is an ANSI terminal) rather than as plain lines.</summary>
    public static bool IsLive(CliConsole console) =>
        !Console.IsErrorRedirected && console.Diagnostics.Profile.Capabilities.Ansi;

    /// <summary>Runs <paramref name="work"/>, which reports through the display it is given.</summary>
    /// <param name="console">Where to draw.</param>
    /// <param name="title">What is progressing, e.g. "train".</param>
    /// <param name="total">The value <see cref="Update"/> reaches at the end (an update may change it).</param>
    /// <param name="work">The job.</param>
    public static T Run<T>(CliConsole console, string title, double total, Func<ProgressDisplay, T> work)
    {
        if (!IsLive(console))
        {
            return work(new ProgressDisplay(console, title, total, null));
        }

        return console.Diagnostics.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .Start(context => work(new ProgressDisplay(console, title, total, context.AddTask(Markup.Escape(title), maxValue: total))));
    }

    /// <summary>Moves the bar to <paramref name="completed"/> (of a new <paramref name="newTotal"/> if given) and shows <paramref name="status"/> (plain text).</summary>
    public void Update(double completed, string status, double? newTotal = null)
    {
        total = newTotal ?? total;
        if (task is not null)
        {
            task.MaxValue = total;
            task.Value = completed;
            task.Description = Markup.Escape($"{title} {status}");
            return;
        }

        if (!sinceLine.IsRunning || sinceLine.Elapsed >= PlainInterval || completed >= total)
        {
            console.Diagnostics.WriteLine($"{title} {status}", new Style(Color.Grey));
            sinceLine.Restart();
        }
    }

    /// <summary>Writes a line that stays (e.g. a validation result), above the bar on a terminal.</summary>
    public void Note(string text) => console.Diagnostics.WriteLine(text, new Style(Color.Grey));
}
