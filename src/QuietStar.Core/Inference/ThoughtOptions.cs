using QuietStar.Core.Algorithm;
using QuietStar.Core.Common;

namespace QuietStar.Core.Inference;

/// <summary>
/// Whether and how a pipeline generation call or exact-match evaluation thinks (before every token, or once per M
/// tokens), and whether it shows the thoughts.
/// </summary>
public sealed record ThoughtOptions
{
    /// <summary>Think while generating (quiet decoding, as <see cref="Decoding"/> says). When false the model decodes as its base language model. Default true.</summary>
    public bool Think { get; set; } = true;

    /// <summary>Attach to each piece the thought it was predicted from (its tokens, text, mixing weight and talk step). Default false.</summary>
    public bool IncludeThoughts { get; set; }

    /// <summary>When to think: before every token, or once per <see cref="TalkTokens"/> tokens; null uses the model's <see cref="QuietStarOptions.Decoding"/>. Default null.</summary>
    public ThoughtDecoding? Decoding { get; set; }

    /// <summary>
    /// M, the tokens spoken along one thought in <see cref="ThoughtDecoding.ThinkThenSpeak"/> mode; null uses the
    /// model's <see cref="QuietStarOptions.TalkTokens"/> (what training scored). Default null.
    /// </summary>
    public int? TalkTokens { get; set; }

    /// <summary>
    /// How thought tokens are chosen: the model's samples (the reference), its greedy choice, or uniformly random
    /// tokens (a control that measures what a thought's content contributes). Default <see cref="ThoughtSampling.Model"/>.
    /// </summary>
    public ThoughtSampling Sampling { get; set; } = ThoughtSampling.Model;

    /// <summary>Decoding without thoughts; a new instance on every call, so changing one changes no other.</summary>
    public static ThoughtOptions None => new() { Think = false };

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">Thoughts are to be included but not generated, or a value is out of range; the message names it.</exception>
    public void Validate()
    {
        OptionCheck.Require<ThoughtOptions>(Decoding is not { } decoding || Enum.IsDefined(decoding), nameof(Decoding), $"has an unknown value {Decoding}.");
        OptionCheck.Require<ThoughtOptions>(TalkTokens is null or >= 1, nameof(TalkTokens), $"must be at least 1 (got {TalkTokens}).");
        OptionCheck.Require<ThoughtOptions>(Enum.IsDefined(Sampling), nameof(Sampling), $"has an unknown value {Sampling}.");
        OptionCheck.Require<ThoughtOptions>(!IncludeThoughts || Think, nameof(IncludeThoughts),
            "needs Think: without thinking there are no thoughts to include.");
    }
}
