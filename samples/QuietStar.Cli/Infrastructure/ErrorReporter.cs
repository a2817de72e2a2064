using System.Reflection;
using Spectre.Console;

namespace QuietStar.Cli.Infrastructure;

/// <summary>Turns an exception into one red line on stderr (and the stack trace with <c>--verbose</c>) and exit code 2.</summary>
internal static class ErrorReporter
{
    /// <summary>The exit code of every failed command.</summary>
    public const int ExitCode = 2;

    /// <summary>Reports <paramref name="exception"/> and returns <see cref="ExitCode"/>.</summary>
    public static int Report(Exception exception, CliConsole console, bool verbose)
    {
        var error = exception is TargetInvocationException { InnerException: { } inner } ? inner : exception;
        console.Diagnostics.MarkupLineInterpolated($"[red]error: {OneLine(error)}[/]");
        if (verbose)
        {
            console.Diagnostics.WriteLine(error.ToString());
        }

        return ExitCode;
    }

    /// <summary>The message on one line, without the " (Parameter 'x')" that names a library parameter the user never saw.</summary>
    private static string OneLine(Exception error)
    {
        string message = error.Message;
        if (error is ArgumentException { ParamName: { } name } && message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal))
        {
            message = message[..^$" (Parameter '{name}')".Length];
        }

        return string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
