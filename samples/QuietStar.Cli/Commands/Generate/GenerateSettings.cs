using System.ComponentModel;
using QuietStar.Core.Algorithm;
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
    [Description("Seed for sampling and thoughts; the same seed gives the same text.")]
    public long? Seed { get; init; }

    /// <summary>Think before every token.</summary>
    [CommandOption("--thoughts")]
    [Description("Think before every token (quiet decoding). Default for a Quiet-STaR checkpoint; a plain model is equipped freshly, with an untrained mixing head, so its text equals the base model's.")]
    public bool Thoughts { get; init; }

    /// <summary>Decode as the base model.</summary>
    [CommandOption("--no-thoughts")]
    [Description("Decode without thoughts, as the base model (also for a Quiet-STaR checkpoint).")]
    public bool NoThoughts { get; init; }

    /// <summary>Print every thought on stderr.</summary>
    [CommandOption("--show-thoughts")]
    [Description("Print each thought on stderr before its token, as [[w=…]] «thought».")]
    public bool ShowThoughts { get; init; }

    /// <summary>Sampled tokens per thought; the checkpoint's own (or 9 for a freshly equipped model) when null.</summary>
    [CommandOption("--thought-tokens <T>")]
    [Description("Sampled tokens per thought (default: the checkpoint's, 9 for a freshly equipped model).")]
    public int? ThoughtTokens { get; init; }

    /// <summary>How thought tokens are picked.</summary>
    [CommandOption("--thought-sampling <MODE>")]
    [Description("model (default: the model's own samples, as in training), greedy (its most likely token at every thought step) or uniform (random tokens: a control).")]
    public string? ThoughtSampling { get; init; }

    /// <summary>When to think.</summary>
    [CommandOption("--decoding <MODE>")]
    [Description("every-token (a fresh thought before every token) or think-then-speak (think once, speak the checkpoint's talk tokens along the thought). Default: the checkpoint's.")]
    public string? Decoding { get; init; }

    /// <summary>Whether <see cref="ModelSettings.Model"/> is a Quiet-STaR checkpoint folder.</summary>
    public bool IsQuietStarCheckpoint => ModelIsCheckpoint;

    /// <summary>Whether to think: asked for, or by default for a Quiet-STaR checkpoint.</summary>
    public bool Think => Thoughts || (!NoThoughts && IsQuietStarCheckpoint);

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (Greedy && (Temperature is not null || TopP is not null))
        {
            return ValidationResult.Error("--greedy cannot be combined with --temperature or --top-p.");
        }

        if (Thoughts && NoThoughts)
        {
            return ValidationResult.Error("--thoughts and --no-thoughts contradict each other.");
        }

        if (!Think && (ShowThoughts || ThoughtTokens is not null))
        {
            return ValidationResult.Error("--show-thoughts and --thought-tokens need thoughts: add --thoughts (a plain model is then equipped freshly).");
        }

        if (!Think && (ThoughtSampling is not null || Decoding is not null))
        {
            return ValidationResult.Error("--thought-sampling and --decoding shape thoughts: add --thoughts (or give a Quiet-STaR checkpoint).");
        }

        if (ThoughtSampling is not null && !(Enum.TryParse<Core.Algorithm.ThoughtSampling>(ThoughtSampling, ignoreCase: true, out var sampling)
            && Enum.IsDefined(sampling) && !int.TryParse(ThoughtSampling, out _)))
        {
            return ValidationResult.Error($"--thought-sampling must be model, greedy or uniform (got '{ThoughtSampling}').");
        }

        if (DecodingFlag.Problem(Decoding) is { } decodingProblem)
        {
            return ValidationResult.Error(decodingProblem);
        }

        if (ThoughtTokens < 1)
        {
            return ValidationResult.Error($"--thought-tokens must be at least 1 (got {ThoughtTokens}).");
        }

        if (MaxTokens < 1)
        {
            return ValidationResult.Error($"--max-tokens must be at least 1 (got {MaxTokens}).");
        }

        if (Temperature is { } temperature && !(temperature > 0 && double.IsFinite(temperature)))
        {
            return ValidationResult.Error($"--temperature must be a positive number (got {temperature}); use --greedy for deterministic decoding.");
        }

        if (TopP is { } topP && !(topP > 0 && topP <= 1))
        {
            return ValidationResult.Error($"--top-p must be in (0, 1] (got {topP}).");
        }

        if (Greedy && Seed is not null && !Think)
        {
            return ValidationResult.Error("--greedy without thoughts has no randomness: --seed would do nothing (with --thoughts it seeds the thoughts).");
        }

        return base.Validate();
    }

    /// <summary>The thought options these settings describe.</summary>
    public ThoughtOptions ToThoughtOptions() => new()
    {
        Think = Think,
        IncludeThoughts = ShowThoughts,
        Sampling = ThoughtSampling is null ? Core.Algorithm.ThoughtSampling.Model : Enum.Parse<Core.Algorithm.ThoughtSampling>(ThoughtSampling, ignoreCase: true),
        Decoding = DecodingFlag.Parse(Decoding),
    };

    /// <summary>The library options these settings describe.</summary>
    public GenerationOptions ToOptions()
    {
        var options = new GenerationOptions { MaxTokens = MaxTokens, Greedy = Greedy, Seed = Seed };
        return options with { Temperature = Temperature ?? options.Temperature, TopP = TopP ?? options.TopP };
    }
}
