namespace QuietStar.Core.Inference;

/// <summary>Whether <see cref="QuietStarGenerator"/> thinks before each token, and whether it shows the thoughts.</summary>
public sealed record ThoughtOptions
{
    /// <summary>Think before every token (quiet decoding). When false the model decodes as its base language model. Default true.</summary>
    public bool Think { get; init; } = true;

    /// <summary>Attach each thought (its tokens, text and mixing weight) to the piece it preceded. Default false.</summary>
    public bool IncludeThoughts { get; init; }

    /// <summary>Decoding without thoughts.</summary>
    public static ThoughtOptions None => new() { Think = false };

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">Thoughts are to be included but not generated.</exception>
    public void Validate()
    {
        if (IncludeThoughts && !Think)
        {
            throw new ArgumentException("IncludeThoughts needs Think: without thinking there are no thoughts to include.", nameof(IncludeThoughts));
        }
    }
}
