using System.ComponentModel;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands;

/// <summary>Options every verb accepts.</summary>
internal class CommonSettings : CommandSettings
{
    /// <summary>Print the stack trace of an error (read by the error handler from the raw arguments).</summary>
    [CommandOption("--verbose")]
    [Description("On error, also print the stack trace.")]
    public bool Verbose { get; init; }
}
