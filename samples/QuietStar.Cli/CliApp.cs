using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using QuietStar.Cli.Commands.Bench;
using QuietStar.Cli.Commands.Data;
using QuietStar.Cli.Commands.Eval;
using QuietStar.Cli.Commands.Generate;
using QuietStar.Cli.Commands.Inspect;
using QuietStar.Cli.Commands.Train;
using QuietStar.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli;

/// <summary>
/// The <c>quietstar</c> command-line application: every verb, its help and the error handling, writing to a given
/// <see cref="CliConsole"/>. <c>Program.cs</c> runs it on the process's stdout/stderr; tests run it in-process on
/// string writers.
/// </summary>
internal static class CliApp
{
    /// <summary>Builds the application for <paramref name="args"/> (the error handler reads <c>--verbose</c> and the verb from them).</summary>
    /// <param name="console">Where results, help, diagnostics and errors go.</param>
    /// <param name="args">The command line the application will run.</param>
    public static CommandApp Create(CliConsole console, IReadOnlyList<string> args)
    {
        var services = new ServiceCollection().AddSingleton(console);
        var app = new CommandApp(new TypeRegistrar(services));
        app.Configure(config =>
        {
            config.SetApplicationName("quietstar");
            config.SetApplicationCulture(CultureInfo.InvariantCulture); // --temperature 0.5 everywhere
            config.UseStrictParsing();
            config.ConfigureConsole(HelpConsole(console));
            config.SetExceptionHandler((exception, _) => ErrorReporter.Report(exception, console, args));

            // One registration per verb (each in Commands/<Verb>/).
            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train with Quiet-STaR (default: the embedded stories260K on the embedded GSM8K text, 5–10 minutes on 2 CPU cores). Progress on stderr, one JSON line on stdout; writes a checkpoint and training_curves.svg.")
                .WithExample("train")
                .WithExample("train", "--steps", "400", "--out", "runs/longer")
                .WithExample("train", "--no-thoughts", "--out", "runs/baseline");
            config.AddCommand<EvalCommand>("eval")
                .WithDescription("Evaluate a model as the paper does: GSM8K/CommonsenseQA answer probability (or GSM8K zero-shot CoT), or text NLL overall and on hard tokens. Progress on stderr, one JSON line on stdout.")
                .WithExample("eval", "--task", "gsm8k", "--limit", "50")
                .WithExample("eval", "--model", "runs/quietstar-20260101-120000/checkpoint", "--task", "csqa")
                .WithExample("eval", "--task", "text", "--data", "story.txt", "--thoughts");
            config.AddCommand<GenerateCommand>("generate")
                .WithDescription("Continue a prompt. The continuation (not the prompt) streams to stdout; diagnostics go to stderr.")
                .WithExample("generate", "--prompt", "\"Once upon a time\"", "--greedy", "--max-tokens", "100");
            config.AddCommand<InspectCommand>("inspect")
                .WithDescription("Write an HTML page showing, for every token of a text, the thought before it, its mixing weight and base vs after-thought NLL.")
                .WithExample("inspect", "--text", "\"Once upon a time there was a cat.\"", "--out", "report.html");
            config.AddBranch("data", data =>
            {
                data.SetDescription("Write synthetic corpora; each prints one JSON line on stdout.");
                data.AddCommand<ArithmeticDataCommand>("arithmetic")
                    .WithDescription("N-digit addition problems (terse, worked or mixed; text or GSM8K JSON Lines), seeded; never a pair with (A·10^N + B) mod 7 = 3.")
                    .WithExample("data", "arithmetic", "--digits", "3", "--count", "20000", "--style", "mixed", "--out", "arith_mixed.txt");
            });
            config.AddBranch("bench", bench =>
            {
                bench.SetDescription("Measure speed and memory; each prints one JSON line on stdout.");
                bench.AddCommand<TrainBenchCommand>("train")
                    .WithDescription("Time full Quiet-STaR training steps (objective, backward, AdamW) on real text.")
                    .WithExample("bench", "train", "--attention", "both", "--steps", "5");
                bench.AddCommand<DecodeBenchCommand>("decode")
                    .WithDescription("Time base decoding against quiet decoding (a thought before every token), interleaved; ms per token.")
                    .WithExample("bench", "decode", "--max-tokens", "128", "--thought-tokens", "9", "--repeats", "5");
                bench.AddCommand<SoakBenchCommand>("soak")
                    .WithDescription("Train for many steps, sampling live tensors, RSS and threads, to show that nothing leaks.")
                    .WithExample("bench", "soak", "--steps", "1000");
            });
        });
        return app;
    }

    /// <summary>Where help and usage go: the console's stdout, without colours when it is not a terminal.</summary>
    private static IAnsiConsole HelpConsole(CliConsole console) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(console.Output),
        Ansi = console.OutputIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = console.OutputIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
    });

    /// <summary>Runs the verb <paramref name="args"/> name and returns its exit code (0, or 2 after an error).</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="console">Where results, help, diagnostics and errors go.</param>
    /// <param name="cancellationToken">Asks the verb to stop (train saves its last completed step).</param>
    public static int Run(string[] args, CliConsole console, CancellationToken cancellationToken) =>
        Create(console, args).Run(args, cancellationToken);
}
