namespace QuietStar.Core.Evaluation.ZeroShotCot;

/// <summary>One text continuation the zero-shot CoT evaluation asks of a generator.</summary>
/// <param name="Prompt">The text to continue.</param>
/// <param name="MaxNewTokens">The most tokens to generate (fewer when the generator stops at end of text).</param>
/// <param name="Temperature">Sampling temperature.</param>
/// <param name="Seed">Seed of the sampler, so that the whole evaluation is reproducible.</param>
public sealed record CotGenerationRequest(string Prompt, int MaxNewTokens, double Temperature, int Seed);
