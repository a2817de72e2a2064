using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace QuietStar.Cli.Infrastructure;

/// <summary>
/// Shows the library's warnings and errors (e.g. a resume with changed options) on the diagnostics console; its
/// per-step information lines are left out, since the verbs draw their own progress.
/// </summary>
internal sealed class DiagnosticsLogger(CliConsole console) : ILogger, ILoggerFactory
{
    /// <summary>This logger, for every category (the library's builder takes a factory).</summary>
    public ILogger CreateLogger(string categoryName) => this;

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider)
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            console.Diagnostics.MarkupLineInterpolated($"[yellow]{logLevel.ToString().ToLowerInvariant()}: {formatter(state, exception)}[/]");
        }
    }
}
