using QuietStar.Cli.Commands.Generate;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Inference;
using QuietStar.Core.Tokenization;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Cli.Commands.Inspect;

/// <summary>
/// <c>quietstar inspect</c>: runs a text through a Quiet-STaR model with a thought at every position, as evaluation does
/// (one thought per position, the prediction right after END), and writes an HTML page with each token's thought,
/// mixing weight and base vs after-thought NLL; prints a one-line JSON summary.
/// </summary>
internal sealed class InspectCommand(CliConsole console) : Command<InspectSettings>
{
    /// <inheritdoc />
    public override int Execute(CommandContext context, InspectSettings settings, CancellationToken cancellationToken)
    {
        using var loaded = settings.LoadModel();
        var (model, freshlyEquipped) = ThinkingModels.Think(loaded, settings.ThoughtTokens);
        var tokenizer = loaded.Tokenizer;
        string? note = freshlyEquipped ? ThinkingModels.UntrainedWarning : null;
        if (note is not null)
        {
            console.Diagnostics.MarkupLineInterpolated($"[yellow]{note}[/]");
        }

        int thoughtTokens = settings.ThoughtTokens ?? model.Options.ThoughtTokens;
        var tokens = Inspect(model, tokenizer, settings.Text, thoughtTokens, settings.Seed);
        string title = $"{settings.ModelName}; {thoughtTokens}-token thoughts, seed {settings.Seed}";
        File.WriteAllText(settings.Out, InspectReport.Render(title, note, tokens));
        console.Diagnostics.MarkupLineInterpolated($"[grey]wrote {settings.Out}[/]");
        console.Output.WriteLine(JsonLine.Serialize(new
        {
            report = Path.GetFullPath(settings.Out),
            tokens = tokens.Count,
            thought_tokens = thoughtTokens,
            mean_base_nll = tokens.Average(t => t.BaseNll),
            mean_talk_nll = tokens.Average(t => t.TalkNll),
            mean_mixing_weight = tokens.Average(t => t.MixingWeight),
            freshly_equipped = freshlyEquipped,
        }));

        return 0;
    }

    /// <summary>Every predicted token of <paramref name="text"/> with the thought before it, from one evaluation-style pass.</summary>
    private static List<InspectedToken> Inspect(QuietStarModel model, TextTokenizer tokenizer, string text, int thoughtTokens, long seed)
    {
        int[] ids = tokenizer.Encode(text, addBos: tokenizer.BosId is not null);
        var forward = ScoringPass.For(model, thoughtTokens);
        int longest = forward.MaxInputLength(withThoughts: true);
        if (ids.Length < 3 || ids.Length > longest)
        {
            throw new ArgumentException($"The text has {ids.Length} tokens; inspect needs 3 to {longest} (the context less the START, thought and END positions).");
        }

        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed), forward.Device);
        var input = torch.tensor(ids.Select(id => (long)id).ToArray(), [1, ids.Length], device: forward.Device); // [1, L]
        var predictions = forward.RunWithThoughts(input, null, generator);                     // the evaluation's pass: P = 1, M = 1
        int vocabulary = Math.Min(forward.VocabularySize, tokenizer.VocabularySize);
        float[] baseNll = Nll(predictions.BaseLogits[0], input[0], vocabulary);                 // L−1
        float[] talkNll = Nll(predictions.TalkLogits![0], input[0], vocabulary);            // L−1
        float[] weights = predictions.MixingWeights![0].to_type(ScalarType.Float32).cpu().data<float>().ToArray(); // L
        long[] thoughts = predictions.ThoughtIds![0].cpu().data<long>().ToArray();              // L × T, row-major
        string[] pieces = Pieces(tokenizer, ids);
        return Enumerable.Range(0, ids.Length - 1).Select(t => new InspectedToken(
            t + 1,
            pieces[t + 1],
            DecodeThought(tokenizer, thoughts.Skip(t * thoughtTokens).Take(thoughtTokens)),
            weights[t],
            baseNll[t],
            talkNll[t])).ToList();
    }

    /// <summary>−log softmax over the text vocabulary at t, of token t+1: <c>[L, V]</c> logits → L − 1 values.</summary>
    private static float[] Nll(Tensor logits, Tensor ids, int vocabulary)
    {
        long length = ids.shape[0];
        var logp = logits.narrow(0, 0, length - 1).narrow(-1, 0, vocabulary).to_type(ScalarType.Float32).log_softmax(-1); // [L−1, V]
        return (-logp.gather(-1, ids.narrow(0, 1, length - 1).unsqueeze(-1)).squeeze(-1)).cpu().data<float>().ToArray();
    }

    /// <summary>Each token's text in context (what streaming would print for it).</summary>
    private static string[] Pieces(TextTokenizer tokenizer, int[] ids)
    {
        var decoder = tokenizer.CreateStreamDecoder();
        return ids.Select(id => decoder.Append(id)).ToArray();
    }

    /// <summary>A thought's text, as <c>GeneratedThought.Text</c>: decoded whole, ids the tokenizer lacks as <c>&lt;id&gt;</c>.</summary>
    private static string DecodeThought(TextTokenizer tokenizer, IEnumerable<long> thought)
    {
        int[] ids = thought.Select(id => (int)id).ToArray();
        return ids.All(id => id < tokenizer.VocabularySize)
            ? tokenizer.Decode(ids)
            : string.Concat(ids.Select(id => id < tokenizer.VocabularySize ? tokenizer.Decode([id]) : $"<{id}>"));
    }
}
