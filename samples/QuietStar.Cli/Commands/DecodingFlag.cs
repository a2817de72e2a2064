using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;

namespace QuietStar.Cli.Commands;

/// <summary>The <c>--decoding</c> flag's words, shared by every verb that takes it or reports it.</summary>
internal static class DecodingFlag
{
    /// <summary>The flag's values, as the user types them.</summary>
    public const string Values = "every-token or think-then-speak";

    /// <summary>The mode <paramref name="text"/> names, or null when it names none (null text included).</summary>
    public static ThoughtDecoding? Parse(string? text) => text switch
    {
        "every-token" => ThoughtDecoding.EveryToken,
        "think-then-speak" => ThoughtDecoding.ThinkThenSpeak,
        _ => null,
    };

    /// <summary>The validation problem of <paramref name="text"/>, or null when it is absent or valid.</summary>
    public static string? Problem(string? text) =>
        text is not null && Parse(text) is null ? $"--decoding must be {Values} (got '{text}')." : null;

    /// <summary>
    /// Tokens spoken from one thought when a model with <paramref name="model"/>'s options decodes under
    /// <paramref name="thoughts"/>: 1 before every token, else the thought options' or the model's M.
    /// </summary>
    public static int TalkTokens(QuietStarOptions model, ThoughtOptions thoughts) =>
        (thoughts.Decoding ?? model.Decoding) == ThoughtDecoding.EveryToken ? 1 : thoughts.TalkTokens ?? model.TalkTokens;

    /// <summary>How results name <paramref name="mode"/>.</summary>
    public static string Name(ThoughtDecoding mode) => mode == ThoughtDecoding.EveryToken ? "every-token" : "think-then-speak";
}
