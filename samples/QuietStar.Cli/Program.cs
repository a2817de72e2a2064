using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using QuietStar.Cli.Commands.Bench;
using QuietStar.Cli.Commands.Generate;
using QuietStar.Cli.Commands.Inspect;
using QuietStar.Cli.Infrastructure;
using Spectre.Console.Cli;

// Before anything loads the native torch runtime: OpenMP's active wait makes torch's threads spin on small VMs.
NativeEnvironment.SetIfUnset("OMP_WAIT_POLICY", "PASSIVE");

var console = CliConsole.Create();
var services = new ServiceCollection().AddSingleton(console);

var app = new CommandApp(new TypeRegistrar(services));
app.Configure(config =>
{
    config.SetApplicationName("quietstar");
    config.SetApplicationCulture(CultureInfo.InvariantCulture); // --temperature 0.5 everywhere
    config.UseStrictParsing();
    config.SetExceptionHandler((exception, _) => ErrorReporter.Report(exception, console, verbose: args.Contains("--verbose")));

    // One registration per verb (each in Commands/<Verb>/).
    config.AddCommand<GenerateCommand>("generate")
        .WithDescription("Continue a prompt. The continuation (not the prompt) streams to stdout; diagnostics go to stderr.")
        .WithExample("generate", "--prompt", "\"Once upon a time\"", "--greedy", "--max-tokens", "100");
    config.AddCommand<InspectCommand>("inspect")
        .WithDescription("Write an HTML page showing, for every token of a text, the thought before it, its mixing weight and base vs after-thought NLL.")
        .WithExample("inspect", "--text", "\"Once upon a time there was a cat.\"", "--out", "report.html");
    config.AddBranch("bench", bench =>
    {
        bench.SetDescription("Measure speed and memory; each prints one JSON line on stdout.");
        bench.AddCommand<TrainBenchCommand>("train")
            .WithDescription("Time full Quiet-STaR training steps (objective, backward, AdamW) on real text.")
            .WithExample("bench", "train", "--attention", "both", "--steps", "5");
        bench.AddCommand<DecodeBenchCommand>("decode")
            .WithDescription("Time base decoding against quiet decoding (a thought before every token), interleaved; ms per token.")
            .WithExample("bench", "decode", "--max-tokens", "128", "--thought-tokens", "9", "--repeats", "5");
    });
});

return app.Run(args);
