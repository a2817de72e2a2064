using QuietStar.Core.Common;

namespace QuietStar.Core.Inference;

/// <summary>
/// How every pipeline generation call (<c>QuietStarPipeline.Generate</c>, <c>GenerateBatch</c>, <c>Stream</c>,
/// <c>GenerateAsync</c>, <c>GenerateBatchAsync</c>) chooses and stops: greedy or temperature + nucleus (top-p) sampling.
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>Largest number of tokens to generate after the prompt. Default 256.</summary>
    public int MaxTokens { get; set; } = 256;

    /// <summary>
    /// Always take the most likely token; <see cref="Temperature"/> and <see cref="TopP"/> are then unused, and
    /// <see cref="Seed"/> only seeds the thoughts.
    /// </summary>
    public bool Greedy { get; set; }

    /// <summary>Divides the logits before sampling: below 1 sharpens, above 1 flattens. Default 1 (as llama2.c).</summary>
    public double Temperature { get; set; } = 1.0;

    /// <summary>Samples only from the most likely tokens whose probabilities sum to this; 1 keeps all. Default 0.9 (as llama2.c).</summary>
    public double TopP { get; set; } = 0.9;

    /// <summary>
    /// Seed of the token sampler and, when the model thinks, of the thought sampler too; the same seed gives the same
    /// text and the same thoughts. Null draws a fresh seed.
    /// </summary>
    public long? Seed { get; set; }

    /// <summary>Texts that end the generation as soon as the continuation contains one; the stop string itself is not returned.</summary>
    public IReadOnlyList<string> StopStrings { get; set; } = [];

    /// <summary>
    /// Stop when the model produces an end-of-text token: the EOS or BOS id of the model configuration or of the
    /// tokenizer (a generated BOS starts a new document, as llama2.c models separate their stories). Default true.
    /// </summary>
    public bool StopAtEos { get; set; } = true;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        OptionCheck.Require<GenerationOptions>(MaxTokens > 0, nameof(MaxTokens), $"must be positive, got {MaxTokens}.");
        OptionCheck.Require<GenerationOptions>(Greedy || (Temperature > 0 && double.IsFinite(Temperature)), nameof(Temperature),
            $"must be a positive number, got {Temperature}; use Greedy for deterministic decoding.");
        OptionCheck.Require<GenerationOptions>(Greedy || (TopP > 0 && TopP <= 1), nameof(TopP), $"must be in (0, 1], got {TopP}.");
        OptionCheck.Require<GenerationOptions>(StopStrings is not null && !StopStrings.Any(string.IsNullOrEmpty), nameof(StopStrings),
            "must not contain null or empty strings.");
    }
}
