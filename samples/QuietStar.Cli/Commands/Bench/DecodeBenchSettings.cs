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

    /// <summary>Prompts decoded together (left-padded); the first is <see cref="Prompt"/>, the others fixed story openings.</summary>
    [CommandOption("--batch <N>")]
    [Description("Prompts decoded together in one batch (left-padded): --prompt, then fixed story openings of other lengths. ms/token counts every row's tokens.")]
    [DefaultValue(1)]
    public int Batch { get; init; }

    /// <summary>The prompt every run continues.</summary>
    [CommandOption("--prompt <TEXT>")]
    [DefaultValue("Once upon a time")]
    public string Prompt { get; init; } = "Once upon a time";

    /// <summary>Seed of the thoughts.</summary>
    [CommandOption("--seed <S>")]
    [DefaultValue(0L)]
    public long Seed { get; init; }

    /// <summary>The prompts of one batch: <see cref="Prompt"/>, then fixed openings of other lengths.</summary>
    public IReadOnlyList<string> Prompts =>
        [.. new[] { Prompt }.Concat(Enumerable.Range(0, Batch - 1).Select(i => Openings[i % Openings.Length])).Take(Batch)];

    /// <inheritdoc />
    protected override long TokensPerForwardCall => Batch;

    private static readonly string[] Openings =
    [
        "The little dog", "One day, a girl named Lily went to the park", "Tom had a red ball", "There was a big tree",
        "The sun was", "A cat sat on the mat and looked at the bird", "Once there was a boy who liked to",
    ];

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        return MaxTokens < 1 || ThoughtTokens < 1 || Repeats < 1 || Warmup < 0 || Batch < 1
            ? ValidationResult.Error("--max-tokens, --thought-tokens, --repeats and --batch must be ≥ 1, --warmup ≥ 0.")
            : base.Validate();
    }
}
