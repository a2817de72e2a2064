using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Bench;

/// <summary>Options of <c>quietstar bench decode</c>.</summary>
internal sealed class DecodeBenchSettings : ModelSettings
{
    /// <summary>Tokens generated per run.</summary>
    [CommandOption("--max-tokens <N>")]
    [DefaultValue(128)]
    public int MaxTokens { get; init; }

    /// <summary>Sampled thought tokens, T.</summary>
    [CommandOption("--thought-tokens <T>")]
    [DefaultValue(9)]
    public int ThoughtTokens { get; init; }

    /// <summary>Timed runs per decoder.</summary>
    [CommandOption("--repeats <R>")]
    [DefaultValue(5)]
    public int Repeats { get; init; }

    /// <summary>Untimed runs per decoder first.</summary>
    [CommandOption("--warmup <N>")]
    [DefaultValue(1)]
    public int Warmup { get; init; }

    /// <summary>The prompt every run continues.</summary>
    [CommandOption("--prompt <TEXT>")]
    [DefaultValue("Once upon a time")]
    public string Prompt { get; init; } = "Once upon a time";

    /// <summary>Seed of the thoughts.</summary>
    [CommandOption("--seed <S>")]
    [DefaultValue(0UL)]
    public ulong Seed { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        return MaxTokens < 1 || ThoughtTokens < 1 || Repeats < 1 || Warmup < 0
            ? ValidationResult.Error("--max-tokens, --thought-tokens and --repeats must be ≥ 1, --warmup ≥ 0.")
            : base.Validate();
    }
}
