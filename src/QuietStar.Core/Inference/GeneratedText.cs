namespace QuietStar.Core.Inference;

/// <summary>A finished continuation of one prompt.</summary>
/// <param name="Text">The continuation (not the prompt), cut before a stop string if one ended it.</param>
/// <param name="TokenIds">Every generated token, including the stop token or the token that completed a stop string.</param>
/// <param name="StopReason">Why generation ended.</param>
public sealed record GeneratedText(string Text, IReadOnlyList<int> TokenIds, StopReason StopReason);
