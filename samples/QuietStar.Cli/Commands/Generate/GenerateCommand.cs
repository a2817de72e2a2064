using System.Diagnostics;
using QuietStar.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Generate;

/// <summary><c>quietstar generate</c>: streams the continuation of a prompt to stdout.</summary>
internal sealed class GenerateCommand(CliConsole console) : Command<GenerateSettings>
{
    /// <inheritdoc />
    public override int Execute(CommandContext context, GenerateSettings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToOptions();
        options.Validate(); // before spending time on loading
        var clock = Stopwatch.StartNew();
        using var model = GenerateModel.Load(settings);
        var config = model.Config;
        console.Diagnostics.MarkupLineInterpolated(
            $"[grey]{settings.ModelName}: {config.ModelType}, {config.NumLayers} layers, hidden {config.HiddenSize}, vocab {config.VocabSize}, context {config.MaxPositionEmbeddings}; loaded in {clock.ElapsedMilliseconds} ms[/]");
        var thoughts = settings.ToThoughtOptions();
        if (thoughts.Think)
        {
            int speak = DecodingFlag.TalkTokens(model.Pipeline.Options, thoughts);
            string when = speak == 1 ? "before every token" : $"once every {speak} tokens, speaking along the thought";
            console.Diagnostics.MarkupLineInterpolated($"[grey]thinking {when}: START, {model.Pipeline.Options.ThoughtTokens} thought tokens, END[/]");
        }

        if (model.FreshlyEquipped)
        {
            console.Diagnostics.MarkupLineInterpolated($"[yellow]{LoadedModel.UntrainedWarning}[/]");
        }

        clock.Restart();
        int tokens = 0;
        foreach (var piece in model.Pipeline.Stream(settings.Prompt, options, thoughts, cancellationToken))
        {
            if (piece.Details is { TalkStep: 0 } thought)
            {
                console.Diagnostics.MarkupLineInterpolated($"[dim][[w={thought.MixingWeight:F2}]] «{thought.Text.ReplaceLineEndings("↵")}»[/]");
            }
            else if (piece.Details is { } spoken)
            {
                console.Diagnostics.MarkupLineInterpolated($"[dim][[w={spoken.MixingWeight:F2}, talk step {spoken.TalkStep} of the thought above]][/]");
            }

            console.Output.Write(piece.Text);
            console.Output.Flush();
            tokens++;
        }

        if (console.OutputIsTerminal)
        {
            console.Output.WriteLine(); // end the line on a terminal; piped output is exactly the continuation
        }

        string stop = tokens < options.MaxTokens ? "the model ended the text" : "reached --max-tokens";
        console.Diagnostics.MarkupLineInterpolated(
            $"[grey]{tokens} tokens in {clock.Elapsed.TotalSeconds:F2} s ({tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F0} tokens/s); {stop}[/]");
        return 0;
    }
}
