namespace QuietStar.Core.Inference;

/// <summary>
/// One generated token as <c>QuietStarPipeline.GenerateAsync</c>
/// streams it: the text it releases and, when the model thought, the thought it was predicted from and the mixing weight.
/// </summary>
/// <param name="Index">0 for the first generated token, then 1, 2, …</param>
/// <param name="TokenId">The generated token id.</param>
/// <param name="Text">
/// The text this token releases to the stream; often empty (part of a multi-byte character, a stop token, or text held
/// back because it may begin a stop string). Concatenating every piece's text gives the whole continuation.
/// </param>
/// <param name="Details">The thought before this token (tokens, text, mixing weight, talk step); null when not thinking or not asked for.</param>
public sealed record GenerationPiece(int Index, int TokenId, string Text, GeneratedThought? Details)
{
    /// <summary>The hidden thought the token was predicted from, decoded; null when the model did not think or thoughts were not included.</summary>
    public string? Thought => Details?.Text;

    /// <summary>
    /// The mixing head's weight w on the post-thought prediction (the token came from <c>(1 − w)·base + w·after-thought</c>);
    /// null without a thought.
    /// </summary>
    public float? MixingWeight => Details?.MixingWeight;
}
