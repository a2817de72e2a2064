using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Inference;

namespace QuietStar.Cli.Commands.Eval;

/// <summary>The zero-shot CoT evaluation's text generation: seeded temperature sampling (no nucleus cut) without thoughts.</summary>
internal static class CotGeneration
{
    /// <summary>
    /// A generation delegate over the library's <see cref="QuietStarGenerator"/> without thoughts, which never emits a
    /// Quiet-STaR checkpoint's START/END thought tokens as text. Generation stops at the end of text or at the model's
    /// context: a request that would exceed it gets fewer tokens, and a prompt that already fills it gets none.
    /// </summary>
    public static Func<CotGenerationRequest, string> Over(LoadedModel loaded)
    {
        var tokenizer = loaded.Tokenizer;
        var generator = loaded.QuietStar is { } quietStar ? QuietStarGenerator.For(quietStar, tokenizer) : QuietStarGenerator.For(loaded.Model, tokenizer);
        int context = generator.Context;
        return request =>
        {
            int promptTokens = tokenizer.Encode(request.Prompt, addBos: tokenizer.BosId is not null).Length;
            int budget = Math.Min(request.MaxNewTokens, context - promptTokens);
            if (budget < 1)
            {
                return "";
            }

            var options = new GenerationOptions
            {
                MaxTokens = budget,
                Greedy = request.Temperature == 0,
                Temperature = request.Temperature == 0 ? 1.0 : request.Temperature,
                TopP = 1.0,
                Seed = request.Temperature == 0 ? null : request.Seed,
            };
            return generator.Generate(request.Prompt, options, ThoughtOptions.None).Text;
        };
    }
}
