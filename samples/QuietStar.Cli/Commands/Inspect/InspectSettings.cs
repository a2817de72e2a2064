using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Inspect;

/// <summary>Options of <c>quietstar inspect</c>.</summary>
internal sealed class InspectSettings : ModelSettings
{
    /// <summary>The text to inspect.</summary>
    [CommandOption("--text <TEXT>", isRequired: true)]
    [Description("The text whose every token gets a thought, a mixing weight and base/after-thought NLLs.")]
    public string Text { get; init; } = "";

    /// <summary>Where to write the HTML page.</summary>
    [CommandOption("--out <FILE>", isRequired: true)]
    [Description("The HTML report to write (replaced if it exists).")]
    public string Out { get; init; } = "";

    /// <summary>Sampled tokens per thought; the checkpoint's own (or 9 for a freshly equipped model) when null.</summary>
    [CommandOption("--thought-tokens <T>")]
    [Description("Sampled tokens per thought (default: the checkpoint's, 9 for a freshly equipped model).")]
    public int? ThoughtTokens { get; init; }

    /// <summary>Seed of the thoughts.</summary>
    [CommandOption("--seed <S>")]
    [DefaultValue(0L)]
    public long Seed { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (ThoughtTokens < 1)
        {
            return ValidationResult.Error($"--thought-tokens must be at least 1 (got {ThoughtTokens}).");
        }

        return string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out needs a file name.") : base.Validate();
    }
}
