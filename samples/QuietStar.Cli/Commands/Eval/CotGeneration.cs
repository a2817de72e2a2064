using QuietStar.Core.Evaluation.ZeroShotCot;
using QuietStar.Core.Inference;
using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;

namespace QuietStar.Cli.Commands.Eval;

/// <summary>The zero-shot CoT evaluation's text generation: seeded temperature sampling (no nucleus cut) without thoughts.</summary>
internal static class CotGeneration
{
    /// <summary>
    /// A generation delegate over <see cref="TextGenerator"/>. Generation stops at the end of text or at the model's
    /// context: a request that would exceed it gets fewer tokens, and a prompt that already fills it gets none.
    /// </summary>
    public static Func<CotGenerationRequest, string> Over(CausalLanguageModel model, TextTokenizer tokenizer)
    {
        var generator = new TextGenerator(model, tokenizer);
        int context = model.Config.MaxPositionEmbeddings;
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
                Seed = request.Temperature == 0 ? null : (ulong)request.Seed,
            };
            return generator.Generate(request.Prompt, options).Text;
        };
    }
}
