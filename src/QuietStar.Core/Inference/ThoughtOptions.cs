using QuietStar.Core.Algorithm;

namespace QuietStar.Core.Inference;

/// <summary>Whether and how <see cref="QuietStarGenerator"/> thinks (before every token, or once per M tokens), and whether it shows the thoughts.</summary>
public sealed record ThoughtOptions
{
    /// <summary>Think while generating (quiet decoding, as <see cref="Decoding"/> says). When false the model decodes as its base language model. Default true.</summary>
    public bool Think { get; init; } = true;

    /// <summary>Attach to each piece the thought it was predicted from (its tokens, text, mixing weight and talk step). Default false.</summary>
    public bool IncludeThoughts { get; init; }

    /// <summary>When to think: before every token, or once per <see cref="SpeakTokens"/> tokens; null uses the model's <see cref="QuietStarOptions.Decoding"/>. Default null.</summary>
    public ThoughtDecoding? Decoding { get; init; }

    /// <summary>Tokens spoken along one thought in <see cref="ThoughtDecoding.ThinkThenSpeak"/> mode; null uses the model's <see cref="QuietStarOptions.TalkTokens"/> (what training scored). Default null.</summary>
    public int? SpeakTokens { get; init; }

    /// <summary>
    /// How thought tokens are chosen: the model's samples (the reference), its greedy choice, or uniformly random
    /// tokens (a control that measures what a thought's content contributes). Default <see cref="ThoughtSampling.Model"/>.
    /// </summary>
    public ThoughtSampling Sampling { get; init; } = ThoughtSampling.Model;

    /// <summary>Decoding without thoughts.</summary>
    public static ThoughtOptions None => new() { Think = false };

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">Thoughts are to be included but not generated, or a value is out of range.</exception>
    public void Validate()
    {
        if (Decoding is { } decoding && !Enum.IsDefined(decoding))
        {
            throw new ArgumentException($"Decoding has an unknown value {decoding}.", nameof(Decoding));
        }

        if (SpeakTokens is < 1)
        {
            throw new ArgumentException($"SpeakTokens must be at least 1 (got {SpeakTokens}).", nameof(SpeakTokens));
        }

        if (!Enum.IsDefined(Sampling))
        {
            throw new ArgumentException($"Sampling has an unknown value {Sampling}.", nameof(Sampling));
        }

        if (IncludeThoughts && !Think)
        {
            throw new ArgumentException("IncludeThoughts needs Think: without thinking there are no thoughts to include.", nameof(IncludeThoughts));
        }
    }
}
