using QuietStar.Cli.Infrastructure;
using QuietStar.Core;
using QuietStar.Core.Algorithm;

namespace QuietStar.Cli.Commands.Generate;

/// <summary>How the verbs that think obtain a Quiet-STaR model: a checkpoint's trained one, or a plain model equipped freshly.</summary>
internal static class ThinkingModels
{
    /// <summary>What to tell the user when thoughts were added just now: they cannot change the text yet.</summary>
    public const string UntrainedWarning = "untrained thoughts: the mixing weight is 0, so the text equals the base model's";

    /// <summary>
    /// The Quiet-STaR model of <paramref name="loaded"/>: a checkpoint's trained model as it is, or the plain model
    /// equipped as training starts it (START/END seeded from the init text, mixing head at w ≡ 0). The loaded model
    /// owns the result.
    /// </summary>
    public static (QuietStarModel Model, bool FreshlyEquipped) Think(LoadedModel loaded, int? thoughtTokens)
    {
        if (loaded.QuietStar is { } trained)
        {
            return (trained, false);
        }

        var options = new QuietStarOptions();
        options.ThoughtTokens = thoughtTokens ?? options.ThoughtTokens;
        return (loaded.Equip(options, seed: 0), true);
    }
}
