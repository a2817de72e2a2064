using QuietStar.Cli.Commands.Generate;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Evaluation;

namespace QuietStar.Cli.Commands.Eval;

/// <summary>Whether and how an evaluation thinks, decided from the model and the options.</summary>
/// <param name="Forward">The forward pass to evaluate.</param>
/// <param name="Thoughts">Whether scored predictions come after a thought.</param>
/// <param name="Source">Where the thoughts come from: <c>checkpoint</c>, <c>fresh</c> (untrained) or <c>none</c>.</param>
/// <param name="Description">One sentence for the diagnostics.</param>
internal sealed record EvalThinking(ScoringPass Forward, bool Thoughts, string Source, string Description)
{
    /// <summary>
    /// A checkpoint thinks with its trained thoughts unless <c>--no-thoughts</c>; a plain model is evaluated without
    /// thoughts unless <c>--thoughts</c> equips it freshly (mixing weight 0: scores equal the base model's).
    /// </summary>
    public static EvalThinking Resolve(EvalSettings settings, LoadedModel loaded)
    {
        bool thinks = !settings.NoThoughts && !settings.Cot && (loaded.QuietStar is not null || settings.Thoughts);
        if (loaded.QuietStar is { } trained)
        {
            var forward = ScoringPass.For(trained, settings.ThoughtTokens, settings.ChosenThoughtSampling);
            return thinks
                ? new(forward, true, "checkpoint", $"with the checkpoint's trained {forward.ThoughtTokens}-token thoughts{Sampled(forward.Sampling)}")
                : new(forward, false, "none", "without thoughts (the checkpoint's base predictions)");
        }

        if (!thinks)
        {
            return new(ScoringPass.For(loaded.Model), false, "none", "without thoughts (a plain language model)");
        }

        var (model, _) = ThinkingModels.Think(loaded, settings.ThoughtTokens);
        var fresh = ScoringPass.For(model, null, settings.ChosenThoughtSampling);
        return new(fresh, true, "fresh",
            $"with freshly equipped, untrained {model.Options.ThoughtTokens}-token thoughts{Sampled(fresh.Sampling)} (mixing weight 0: the scores equal the base model's)");
    }

    private static string Sampled(ThoughtSampling sampling) => sampling switch
    {
        ThoughtSampling.Greedy => ", greedy (the most likely token at every thought step)",
        ThoughtSampling.Uniform => ", replaced by uniformly random tokens (a control)",
        _ => "",
    };
}
