using QuietStar.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Inspect;

/// <summary>
/// <c>quietstar inspect</c>: runs a text through a Quiet-STaR model with a thought at every position, as evaluation does
/// (one thought per position, the prediction right after END; <c>QuietStarPipeline.InspectAsync</c>), and writes an HTML
/// page with each token's thought, mixing weight and base vs after-thought NLL; prints a one-line JSON summary.
/// </summary>
internal sealed class InspectCommand(CliConsole console) : Command<InspectSettings>
{
    /// <inheritdoc />
    public override int Execute(CommandContext context, InspectSettings settings, CancellationToken cancellationToken)
    {
        using var loaded = settings.LoadModel();
        var pipeline = loaded.Thinking(settings.ThoughtTokens);
        bool freshlyEquipped = !loaded.IsCheckpoint;
        string? note = freshlyEquipped ? LoadedModel.UntrainedWarning : null;
        if (note is not null)
        {
            console.Diagnostics.MarkupLineInterpolated($"[yellow]{note}[/]");
        }

        int thoughtTokens = pipeline.Options.ThoughtTokens;
        var tokens = pipeline.InspectAsync(settings.Text, settings.Seed, cancellationToken).GetAwaiter().GetResult();
        string title = $"{settings.ModelName}; {thoughtTokens}-token thoughts, seed {settings.Seed}";
        File.WriteAllText(settings.Out, InspectReport.Render(title, note, tokens));
        console.Diagnostics.MarkupLineInterpolated($"[grey]wrote {settings.Out}[/]");
        console.Output.WriteLine(JsonLine.Serialize(new
        {
            report = Path.GetFullPath(settings.Out),
            tokens = tokens.Count,
            thought_tokens = thoughtTokens,
            mean_base_nll = tokens.Average(t => t.BaseNll),
            mean_talk_nll = tokens.Average(t => t.AfterThoughtNll),
            mean_mixing_weight = tokens.Average(t => (double)t.MixingWeight),
            freshly_equipped = freshlyEquipped,
        }));

        return 0;
    }
}
