using System.Globalization;
using QuietStar.Cli.Assets;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Data;
using QuietStar.Core.Tokenization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Train;

/// <summary>
/// <c>quietstar train</c>: trains a model with Quiet-STaR (or, with <c>--no-thoughts</c>, as a plain language model)
/// with a live progress display on stderr; writes a checkpoint and <c>training_curves.svg</c> into the run folder and
/// prints one JSON line with the outcome on stdout.
/// </summary>
internal sealed class TrainCommand(CliConsole console) : Command<TrainSettings>
{
    /// <summary>The checkpoint's folder inside the run folder.</summary>
    public const string CheckpointFolderName = "checkpoint";

    /// <summary>The plain model a <c>--no-thoughts</c> run writes inside the run folder.</summary>
    public const string BaseModelFolderName = "model";

    /// <summary>The curves' file inside the run folder.</summary>
    public const string CurvesFileName = "training_curves.svg";

    /// <inheritdoc />
    public override int Execute(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
    {
        string runFolder = Path.GetFullPath(settings.Out ?? Path.Combine("runs", $"quietstar-{DateTime.Now:yyyyMMdd-HHmmss}"));
        using var run = settings.ResumeCheckpoint is { } resume
            ? TrainingRun.Resume(settings, resume, Path.Combine(runFolder, CheckpointFolderName), new DiagnosticsLogger(console))
            : TrainingRun.Start(settings, Path.Combine(runFolder, CheckpointFolderName), new DiagnosticsLogger(console));
        string data = DataName(settings, run.Options.Seed);
        if (run.ResumedFrom is { } resumed && ReadRunData(resumed) is { } trainedOn && trainedOn != data)
        {
            throw new ArgumentException(
                $"--resume '{settings.Resume}' was trained on {trainedOn}, but this run would continue on {data}: give the same data " +
                "(--preset arithmetic for an arithmetic run, the same --data files for a text run).");
        }

        var corpus = LoadCorpus(settings, run.Trainer.Tokenizer, run.Options.Seed);
        Describe(run, corpus, runFolder);
        Directory.CreateDirectory(runFolder);
        File.WriteAllText(Path.Combine(runFolder, RunDataFileName), data);

        var problems = settings.ExactMatchProblems > 0 ? ArithmeticExactMatch.Problems(settings.ArithmeticDigits!.Value, settings.ExactMatchProblems) : null;
        Dictionary<string, object?>? before = null;
        if (problems is not null && run.ResumedFrom is null)
        {
            console.Diagnostics.MarkupLineInterpolated($"[grey]exact match before training on {problems.Count} held-out problems…[/]");
            before = ArithmeticExactMatch.Measure(run.Pipeline, problems, settings.ArithmeticDigits!.Value + 4, "no_thoughts", "thoughts", "greedy_thoughts");
        }

        ProcessMemory.ResetPeak();
        var (report, monitor) = ProgressDisplay.Run(console, "train", run.Options.Steps, display =>
        {
            var monitor = new TrainingMonitor(display, run.Options.NoThoughts);
            display.Update(run.Trainer.CompletedSteps, "loading the first batch");
            return (run.Trainer.Train(corpus, monitor, cancellationToken), monitor);
        });

        string? baseModel = null;
        if (run.Options.NoThoughts && run.Loaded is { } loaded && report.Steps == run.Options.Steps)
        {
            baseModel = Path.Combine(runFolder, BaseModelFolderName);
            loaded.SaveBaseModel(baseModel);
        }

        Dictionary<string, object?>? exactMatch = null;
        if (problems is not null)
        {
            console.Diagnostics.MarkupLineInterpolated($"[grey]exact match after training…[/]");
            exactMatch = new Dictionary<string, object?>
            {
                ["digits"] = settings.ArithmeticDigits,
                ["problems"] = problems.Count,
                ["problem_seed"] = ArithmeticExactMatch.ProblemSeed,
                ["before"] = before,
                ["after"] = ArithmeticExactMatch.Measure(run.Pipeline, problems, settings.ArithmeticDigits!.Value + 4, "no_thoughts", "thoughts", "greedy_thoughts", "uniform_thoughts"),
            };
        }

        string curves = Path.Combine(runFolder, CurvesFileName);
        monitor.WriteCurves(curves, $"quietstar train: {run.ModelName}, {(run.Options.NoThoughts ? "no thoughts" : $"{run.QuietStarOptions.ThoughtTokens}-token thoughts")}");
        console.Output.WriteLine(JsonLine.Serialize(TrainResult.Create(report, run, settings, curves, baseModel, exactMatch)));
        console.Diagnostics.MarkupLineInterpolated($"[grey]checkpoint: {report.CheckpointPath}; curves: {curves}[/]");
        return 0;
    }

    private static TextCorpus LoadCorpus(TrainSettings settings, TextTokenizer tokenizer, long seed)
    {
        if (settings.Data is { Length: > 0 } files)
        {
            return TextCorpus.Load(files, tokenizer);
        }

        if (settings.ArithmeticDigits is { } digits)
        {
            var problems = ArithmeticProblems.Generate(digits, settings.ChosenPreset.ArithmeticProblemCount, seed);
            using var generated = new StringReader(ArithmeticProblems.Format(problems, ArithmeticStyle.Terse, jsonLines: false, seed));
            return TextCorpus.FromReader(generated, ArithmeticCorpusName(settings, seed), tokenizer);
        }

        using var reader = new StringReader(EmbeddedCorpus.ReadAll());
        return TextCorpus.FromReader(reader, EmbeddedCorpus.Name, tokenizer);
    }

    /// <summary>The file in the run folder that names the data the run trains on, so that a resumed run can check it continues on the same.</summary>
    public const string RunDataFileName = "data.txt";

    /// <summary>The data a run trains on, as messages and the JSON config name it.</summary>
    public static string DataName(TrainSettings settings, long seed) =>
        settings.Data is { Length: > 0 } files ? string.Join(", ", files)
        : settings.ArithmeticDigits is not null ? ArithmeticCorpusName(settings, seed)
        : EmbeddedCorpus.Name;

    /// <summary>The data the run whose checkpoint is <paramref name="checkpointFolder"/> trained on, when its run folder says.</summary>
    private static string? ReadRunData(string checkpointFolder)
    {
        string file = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpointFolder).TrimEnd(Path.DirectorySeparatorChar))!, RunDataFileName);
        return File.Exists(file) ? File.ReadAllText(file) : null;
    }

    /// <summary>How the generated arithmetic corpus is named in messages and in the JSON config.</summary>
    public static string ArithmeticCorpusName(TrainSettings settings, long seed) =>
        $"arithmetic-{settings.ArithmeticDigits}digit-terse-{settings.ChosenPreset.ArithmeticProblemCount}-seed{seed}.txt (generated)";

    private void Describe(TrainingRun run, TextCorpus corpus, string runFolder)
    {
        var o = run.Options;
        var q = run.QuietStarOptions;
        string mode = o.NoThoughts ? "without thoughts (plain LM baseline)"
            : string.Create(CultureInfo.InvariantCulture, $"with {q.ThoughtTokens}-token thoughts, {q.TalkTokens} talk tokens, {q.Passes} passes, policy weight {q.PolicyLossWeight:G3}");
        console.Diagnostics.MarkupLineInterpolated(
            $"[grey]{run.ModelName}: training {mode} from step {run.Trainer.CompletedSteps} to {o.Steps}; {o.BatchSize}×{o.GradientAccumulation} sequences of {o.SequenceLength} tokens per step, lr {o.LearningRate:G3}, seed {o.Seed}[/]");
        console.Diagnostics.MarkupLineInterpolated(
            $"[grey]data: {corpus.Description}, {corpus.DocumentCount} documents, {corpus.TokenCount} tokens ({o.ValidationFraction:P0} held out); run folder {runFolder}[/]");
    }
}
