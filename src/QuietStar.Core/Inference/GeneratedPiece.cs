namespace QuietStar.Core.Inference;

/// <summary>One generated token and the text it releases to the stream.</summary>
/// <param name="TokenId">The generated token id.</param>
/// <param name="Text">
/// The text this token completes; often empty (part of a multi-byte character, a stop token, or text held back
/// because it may begin a stop string). Concatenating every piece's text gives <see cref="GeneratedText.Text"/>.
/// </param>
public sealed record GeneratedPiece(int TokenId, string Text);
