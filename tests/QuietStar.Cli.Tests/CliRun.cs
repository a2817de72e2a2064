using System.Text.Json;
using System.Text.RegularExpressions;
using QuietStar.Cli.Infrastructure;
using Spectre.Console;

namespace QuietStar.Cli.Tests;

/// <summary>The outcome of one in-process run of the <c>quietstar</c> app.</summary>
/// <param name="ExitCode">What <c>Main</c> would return.</param>
/// <param name="Stdout">Everything written to stdout (results and help).</param>
/// <param name="Stderr">Everything written to stderr (diagnostics and errors).</param>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Runs <c>quietstar <paramref name="args"/></c> in this process, stdout and stderr captured.</summary>
    public static CliRun Of(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exitCode = CliApp.Run(args, Console(stdout, stderr), CancellationToken.None);
        return new CliRun(exitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A console writing results to <paramref name="stdout"/> and plain diagnostics (no colours, no wrapping) to <paramref name="stderr"/>.</summary>
    internal static CliConsole Console(StringWriter stdout, StringWriter stderr)
    {
        var diagnostics = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stderr),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        diagnostics.Profile.Width = 100_000; // one message per line, as when stderr is redirected
        return new CliConsole(stdout, OutputIsTerminal: false, diagnostics);
    }

    /// <summary>The one JSON line on stdout, as an object (fails if stdout is not exactly one JSON object line).</summary>
    public JsonElement Json
    {
        get
        {
            var lines = Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (lines.Length != 1)
            {
                throw new InvalidOperationException($"Expected one stdout line, got {lines.Length}:\n{Stdout}\nstderr:\n{Stderr}");
            }

            using var document = JsonDocument.Parse(lines[0]);
            return document.RootElement.Clone();
        }
    }

    /// <summary>The top-level keys of <see cref="Json"/>.</summary>
    public IReadOnlyList<string> JsonKeys => Json.EnumerateObject().Select(p => p.Name).ToArray();

    /// <summary>Stdout with every run of white space (help wraps its columns) made one space.</summary>
    public string StdoutOneLine => Regex.Replace(Stdout, @"\s+", " ");

    /// <summary>The error line(s) on stderr.</summary>
    public string Errors => string.Join('\n', Stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)));

    /// <inheritdoc />
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
