using Spectre.Console;

namespace QuietStar.Cli.Infrastructure;

/// <summary>Where a command writes: results to <see cref="Output"/> (stdout), everything else to <see cref="Diagnostics"/> (stderr).</summary>
/// <param name="Output">The command's result, and nothing else, so that it can be piped.</param>
/// <param name="OutputIsTerminal">Whether <see cref="Output"/> is shown on a terminal rather than piped or redirected.</param>
/// <param name="Diagnostics">Progress, timings and errors.</param>
internal sealed record CliConsole(TextWriter Output, bool OutputIsTerminal, IAnsiConsole Diagnostics)
{
    /// <summary>Stdout for results and a Spectre console on stderr for diagnostics (no line wrapping when redirected).</summary>
    public static CliConsole Create()
    {
        var diagnostics = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected)
        {
            diagnostics.Profile.Width = 100_000; // one message per line in logs
        }

        return new CliConsole(Console.Out, !Console.IsOutputRedirected, diagnostics);
    }
}
