using QuietStar.Cli.Infrastructure;
using QuietStar.Core;
using QuietStar.Core.Algorithm;

namespace QuietStar.Cli.Commands.Eval;

/// <summary>Whether and how an evaluation thinks, decided from the model and the options.</summary>
/// <param name="Pipeline">The pipeline to evaluate (a plain model's is equipped freshly; its thoughts are used only when <paramref name="Thoughts"/>).</param>
/// <param name="Thoughts">Whether scored predictions come after a thought.</param>
/// <param name="Source">Where the thoughts come from: <c>checkpoint</c>, <c>fresh</c> (untrained) or <c>none</c>.</param>
/// <param name="Description">One sentence for the diagnostics.</param>
internal sealed record EvalThinking(QuietStarPipeline Pipeline, bool Thoughts, string Source, string Description)
{
    /// <summary>
    /// A checkpoint thinks with its trained thoughts unless <c>--no-thoughts</c>; a plain model is evaluated without
    /// thoughts unless <c>--thoughts</c> equips it freshly (mixing weight 0: scores equal the base model's).
    /// </summary>
    public static EvalThinking Resolve(EvalSettings settings, LoadedModel loaded)
    {
        bool thinks = !settings.NoThoughts && !settings.Cot && (loaded.IsCheckpoint || settings.Thoughts);
        var pipeline = loaded.Thinking(thinks ? settings.ThoughtTokens : null);
        if (loaded.IsCheckpoint)
        {
            return thinks
                ? new(pipeline, true, "checkpoint", $"with the checkpoint's trained {pipeline.Options.ThoughtTokens}-token thoughts{Sampled(settings.ChosenThoughtSampling)}")
                : new(pipeline, false, "none", "without thoughts (the checkpoint's base predictions)");
        }

        return thinks
            ? new(pipeline, true, "fresh",
                $"with freshly equipped, untrained {pipeline.Options.ThoughtTokens}-token thoughts{Sampled(settings.ChosenThoughtSampling)} (mixing weight 0: the scores equal the base model's)")
            : new(pipeline, false, "none", "without thoughts (a plain language model)");
    }

    private static string Sampled(ThoughtSampling sampling) => sampling switch
    {
        ThoughtSampling.Greedy => ", greedy (the most likely token at every thought step)",
        ThoughtSampling.Uniform => ", replaced by uniformly random tokens (a control)",
        _ => "",
    };
}
