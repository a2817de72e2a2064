using System.ComponentModel;
using QuietStar.Core.Configuration;
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

    /// <summary>Thought attention of the quiet decoder: diagonal, masked, or both (interleaved with the base decoder).</summary>
    [CommandOption("--attention <MODE>")]
    [Description("Thought attention: diagonal (thoughts as branch blocks, no cache copies), masked (thoughts appended to the cache, then truncated), or both.")]
    [DefaultValue("diagonal")]
    public string Attention { get; init; } = "diagonal";

    /// <summary>Seed of the thoughts and of the fresh mixing head.</summary>
    [CommandOption("--seed <S>")]
    [DefaultValue(0UL)]
    public ulong Seed { get; init; }

    /// <summary>The quiet decoders to run, in interleaving order.</summary>
    public IReadOnlyList<ThoughtAttention> Strategies => Attention.ToLowerInvariant() switch
    {
        "diagonal" => [ThoughtAttention.Diagonal],
        "masked" => [ThoughtAttention.Masked],
        "both" => [ThoughtAttention.Diagonal, ThoughtAttention.Masked],
        _ => throw new InvalidOperationException("unreachable: validated"),
    };

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (Attention.ToLowerInvariant() is not ("diagonal" or "masked" or "both"))
        {
            return ValidationResult.Error($"--attention must be diagonal, masked or both (got '{Attention}').");
        }

        return MaxTokens < 1 || ThoughtTokens < 1 || Repeats < 1 || Warmup < 0
            ? ValidationResult.Error("--max-tokens, --thought-tokens and --repeats must be ≥ 1, --warmup ≥ 0.")
            : base.Validate();
    }
}
