using QuietStar.Core.Common;
using System.Text.Json.Serialization;

namespace QuietStar.Core.Evaluation;

/// <summary>How to run the zero-shot CoT evaluation. Defaults are the reference's <c>zero-shotcot-eval.py</c>.</summary>
public sealed record ZeroShotCotOptions
{
    /// <summary>Samples per question, majority-voted (cot-maj@k). Default 8.</summary>
    [JsonPropertyName("votes")]
    public int Votes { get; set; } = 8;

    /// <summary>The most reasoning tokens sampled before the answer is asked for. Default 384.</summary>
    [JsonPropertyName("max_reasoning_tokens")]
    public int MaxReasoningTokens { get; set; } = 384;

    /// <summary>Tokens sampled after the answer prompt. Default 12.</summary>
    [JsonPropertyName("answer_tokens")]
    public int AnswerTokens { get; set; } = 12;

    /// <summary>Sampling temperature of both generations. Default 0.9.</summary>
    [JsonPropertyName("temperature")]
    public double Temperature { get; set; } = 0.9;

    /// <summary>Evaluate only the first this many questions; all when null. Default 128, as the reference (which takes them from a seed-42 shuffle).</summary>
    [JsonPropertyName("limit")]
    public int? Limit { get; set; } = 128;

    /// <summary>Base seed; each generation gets its own seed derived from it, the question and the vote. Default 0.</summary>
    [JsonPropertyName("seed")]
    public long Seed { get; set; }

    /// <summary>Skip and count malformed data-set lines instead of failing. Default false.</summary>
    [JsonPropertyName("skip_malformed")]
    public bool SkipMalformed { get; set; }

    /// <summary>Text after <c>"Q: {question}"</c> that starts the reasoning. Default <c>"\nA: Let's think step by step."</c>.</summary>
    [JsonPropertyName("reasoning_prompt")]
    public string ReasoningPrompt { get; set; } = "\nA: Let's think step by step.";

    /// <summary>Text appended to the reasoning to ask for the answer. Default <c>"\nTherefore, the answer (arabic numerals) is"</c>.</summary>
    [JsonPropertyName("answer_prompt")]
    public string AnswerPrompt { get; set; } = "\nTherefore, the answer (arabic numerals) is";

    /// <summary>Checks every option.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        OptionCheck.Require<ZeroShotCotOptions>(Votes >= 1, nameof(Votes), $"must be at least 1 (got {Votes}).");
        OptionCheck.Require<ZeroShotCotOptions>(MaxReasoningTokens >= 1, nameof(MaxReasoningTokens), $"must be at least 1 (got {MaxReasoningTokens}).");
        OptionCheck.Require<ZeroShotCotOptions>(AnswerTokens >= 1, nameof(AnswerTokens), $"must be at least 1 (got {AnswerTokens}).");
        OptionCheck.Require<ZeroShotCotOptions>(Temperature >= 0 && double.IsFinite(Temperature), nameof(Temperature), $"must be ≥ 0 and finite (got {Temperature}).");
        OptionCheck.Require<ZeroShotCotOptions>(Limit is null or >= 1, nameof(Limit), $"must be at least 1 when set (got {Limit}).");
        OptionCheck.Require<ZeroShotCotOptions>(ReasoningPrompt is not null && AnswerPrompt is not null, nameof(ReasoningPrompt), "and AnswerPrompt must not be null.");
    }
}
