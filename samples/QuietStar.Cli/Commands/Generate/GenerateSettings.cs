using System.ComponentModel;
using QuietStar.Core.Inference;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Generate;

/// <summary>Options of <c>quietstar generate</c>.</summary>
internal sealed class GenerateSettings : ModelSettings
{
    /// <summary>The text to continue.</summary>
    [CommandOption("--prompt <TEXT>", isRequired: true)]
    [Description("The text to continue; \"\" starts from BOS.")]
    public string Prompt { get; init; } = "";

    /// <summary>Largest number of tokens to generate.</summary>
    [CommandOption("--max-tokens <N>")]
    [Description("Largest number of tokens to generate.")]
    [DefaultValue(256)]
    public int MaxTokens { get; init; }

    /// <summary>Deterministic argmax decoding.</summary>
    [CommandOption("--greedy")]
    [Description("Always take the most likely token.")]
    public bool Greedy { get; init; }

    /// <summary>Sampling temperature; the library default when null.</summary>
    [CommandOption("--temperature <T>")]
    [Description("Sampling temperature (default 1).")]
    public double? Temperature { get; init; }

    /// <summary>Nucleus mass; the library default when null.</summary>
    [CommandOption("--top-p <P>")]
    [Description("Sample from the most likely tokens holding this much probability (default 0.9).")]
    public double? TopP { get; init; }

    /// <summary>Sampling seed; fresh when null.</summary>
    [CommandOption("--seed <S>")]
    [Description("Seed for sampling; the same seed gives the same text.")]
    public ulong? Seed { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (Greedy && (Temperature is not null || TopP is not null || Seed is not null))
        {
            return ValidationResult.Error("--greedy cannot be combined with --temperature, --top-p or --seed.");
        }

        return base.Validate();
    }

    /// <summary>The library options these settings describe.</summary>
    public GenerationOptions ToOptions()
    {
        var options = new GenerationOptions { MaxTokens = MaxTokens, Greedy = Greedy, Seed = Seed };
        return options with { Temperature = Temperature ?? options.Temperature, TopP = TopP ?? options.TopP };
    }
}
