using QuietStar.Core.Common;
using QuietStar.Core.Inference;

namespace QuietStar.Core.Evaluation;

/// <summary>How to run an exact-match evaluation (<c>QuietStarPipeline.EvaluateExactMatch</c>).</summary>
public sealed record ExactMatchOptions
{
    /// <summary>Tokens generated at most per answer (it stops earlier at a newline or end of text). Default 12.</summary>
    public int MaxTokens { get; set; } = 12;

    /// <summary>Problems decoded together in one left-padded batch. Default 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>
    /// Whether and how the model thinks (decoding mode, thought sampling); <see cref="ThoughtOptions.None"/> decodes
    /// with the base model alone. Default: think as the model was trained to (a plain model decodes without thoughts).
    /// A <c>with</c> copy of these options shares this object; give the copy a new one to change it alone.
    /// </summary>
    public ThoughtOptions Thoughts { get; set; } = new();

    /// <summary>
    /// Text the prompt ends with after <c>"A:"</c> and its space, e.g. <c>"("</c> to have a model that learned to write
    /// its working first do so. Default empty.
    /// </summary>
    public string AnswerPrefix { get; set; } = "";

    /// <summary>When set, the answer is read after the last occurrence of this text in the generated line (e.g. <c>")"</c> after a working). Default null.</summary>
    public string? AnswerAfter { get; set; }

    /// <summary>Seed of the thoughts (the text is greedy): problem i samples its thoughts from Seed + i. Default 42.</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Evaluates only the first N problems of the data set (all when null).</summary>
    public int? Limit { get; set; }

    /// <summary>Skip and count malformed data-set lines (<see cref="ExactMatchResult.SkippedMalformed"/>) instead of failing at the first one. Default false.</summary>
    public bool SkipMalformed { get; set; }

    /// <summary>Checks every option, <see cref="Thoughts"/> included.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    /// <exception cref="ArgumentNullException"><see cref="Thoughts"/> or <see cref="AnswerPrefix"/> is null.</exception>
    public void Validate()
    {
        OptionCheck.Require<ExactMatchOptions>(MaxTokens >= 1, nameof(MaxTokens), $"must be at least 1 (got {MaxTokens}).");
        OptionCheck.Require<ExactMatchOptions>(BatchSize >= 1, nameof(BatchSize), $"must be at least 1 (got {BatchSize}).");
        OptionCheck.Require<ExactMatchOptions>(Limit is null or >= 1, nameof(Limit), $"must be at least 1 when set (got {Limit}).");
        ArgumentNullException.ThrowIfNull(Thoughts);
        ArgumentNullException.ThrowIfNull(AnswerPrefix);
        Thoughts.Validate();
        OptionCheck.Require<ExactMatchOptions>(AnswerAfter is not "", nameof(AnswerAfter), "must not be empty (null reads the answer from the start).");
    }
}
