namespace QuietStar.Core.Inference;

/// <summary>How <see cref="TextGenerator"/> chooses and stops: greedy or temperature + nucleus (top-p) sampling.</summary>
public sealed record GenerationOptions
{
    /// <summary>Largest number of tokens to generate after the prompt. Default 256.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Always take the most likely token; <see cref="Temperature"/>, <see cref="TopP"/> and <see cref="Seed"/> are then unused.</summary>
    public bool Greedy { get; init; }

    /// <summary>Divides the logits before sampling: below 1 sharpens, above 1 flattens. Default 1 (as llama2.c).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Samples only from the most likely tokens whose probabilities sum to this; 1 keeps all. Default 0.9 (as llama2.c).</summary>
    public double TopP { get; init; } = 0.9;

    /// <summary>Seed of the sampler's random generator; the same seed gives the same text. Null draws a fresh seed.</summary>
    public long? Seed { get; init; }

    /// <summary>Texts that end the generation as soon as the continuation contains one; the stop string itself is not returned.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>
    /// Stop when the model produces an end-of-text token (see <see cref="TextGenerator.StopTokenIds"/>). Default true.
    /// </summary>
    public bool StopAtEos { get; init; } = true;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (MaxTokens <= 0)
        {
            throw new ArgumentException($"MaxTokens must be positive, got {MaxTokens}.", nameof(MaxTokens));
        }

        if (!Greedy && !(Temperature > 0 && double.IsFinite(Temperature)))
        {
            throw new ArgumentException($"Temperature must be a positive number, got {Temperature}; use Greedy for deterministic decoding.", nameof(Temperature));
        }

        if (!Greedy && !(TopP > 0 && TopP <= 1))
        {
            throw new ArgumentException($"TopP must be in (0, 1], got {TopP}.", nameof(TopP));
        }

        if (StopStrings is null || StopStrings.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("StopStrings must not contain null or empty strings.", nameof(StopStrings));
        }
    }
}
