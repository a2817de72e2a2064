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

    /// <summary>torch's intra-op threads; null chooses by the size of the work (<see cref="Infrastructure.ThreadPolicy"/>).</summary>
    [CommandOption("--threads <N>")]
    [Description("torch threads. Default: chosen by the size of the work (1 for decoding a small model, all cores for training), unless OMP_NUM_THREADS is set. The choice is reported in the JSON 'runtime'.")]
    public int? Threads { get; init; }

    /// <inheritdoc />
    public override Spectre.Console.ValidationResult Validate() => Threads is < 1
        ? Spectre.Console.ValidationResult.Error($"--threads must be ≥ 1 (got {Threads}).")
        : base.Validate();
}
