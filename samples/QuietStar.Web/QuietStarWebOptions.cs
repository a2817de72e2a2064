using QuietStar.Core.Algorithm;

namespace QuietStar.Web;

/// <summary>The web sample's settings, bound from the <c>QuietStar</c> configuration section.</summary>
public sealed class QuietStarWebOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "QuietStar";

    /// <summary>
    /// The model: a Quiet-STaR checkpoint folder (its trained thoughts and options), a Hugging Face folder, or a llama2.c
    /// file with <see cref="Tokenizer"/>. Default: the shipped arithmetic model beside the app (<c>models/arithmetic</c>),
    /// a base model whose mixing head is untrained (w = 0) until fine-tuned with <c>train --preset arithmetic</c>.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>The SentencePiece tokenizer of a llama2.c <see cref="Model"/>.</summary>
    public string? Tokenizer { get; set; }

    /// <summary>Serve the library's tiny random test model instead (no files; for demos of the plumbing and for tests).</summary>
    public bool Tiny { get; set; }

    /// <summary>Seed of the tiny model.</summary>
    public long TinySeed { get; set; } = 1;

    /// <summary>Largest number of tokens one request may ask for. Default 128.</summary>
    public int MaxTokens { get; set; } = 128;

    /// <summary>
    /// Streams admitted at once (running or waiting their turn; the pipeline generates one at a time). Requests beyond
    /// it get 503. Default 32.
    /// </summary>
    public int MaxStreams { get; set; } = 32;

    /// <summary>
    /// Inspections admitted at once (running or waiting their turn; each is one full pass with thoughts over the text, and
    /// they share the model with the streams). Requests beyond it get 503. Default 8.
    /// </summary>
    public int MaxInspections { get; set; } = 8;

    /// <summary>For a base model: sampled tokens per thought. Default 8 (the arithmetic recipe).</summary>
    public int ThoughtTokens { get; set; } = 8;

    /// <summary>For a base model: tokens spoken along one thought. Default 4.</summary>
    public int TalkTokens { get; set; } = 4;

    /// <summary>For a base model: the text whose token seeds START. Default "(".</summary>
    public string ThoughtInitText { get; set; } = "(";

    /// <summary>For a base model: the text whose token seeds END. Default ")".</summary>
    public string EndThoughtInitText { get; set; } = ")";

    /// <summary>For a base model: when to think. Default think once, then speak <see cref="TalkTokens"/> tokens.</summary>
    public ThoughtDecoding Decoding { get; set; } = ThoughtDecoding.ThinkThenSpeak;

    /// <summary>Checks the limits; called when the app starts.</summary>
    /// <exception cref="InvalidOperationException">A limit is out of range; the message names the setting as configured.</exception>
    public void Validate()
    {
        string? problem =
            MaxTokens < 1 ? $"{Section}:MaxTokens must be ≥ 1 (got {MaxTokens})."
            : MaxStreams < 0 ? $"{Section}:MaxStreams must be ≥ 0 (0 refuses every stream; got {MaxStreams})."
            : MaxInspections < 0 ? $"{Section}:MaxInspections must be ≥ 0 (0 refuses every inspection; got {MaxInspections})."
            : null;
        if (problem is not null)
        {
            throw new InvalidOperationException(problem);
        }
    }
}
