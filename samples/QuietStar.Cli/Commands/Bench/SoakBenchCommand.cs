using System.Diagnostics;
using QuietStar.Cli.Assets;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Data;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Bench;

/// <summary>
/// <c>quietstar bench soak</c>: a long training run that samples the live tensor count, resident memory and thread
/// count (the library's <c>TrainingSoak</c>); sample lines go to stderr, one JSON line with the start and end figures
/// to stdout. Flat tensor counts and a resident size that levels off after the first steps mean nothing leaks.
/// </summary>
internal sealed class SoakBenchCommand(CliConsole console) : Command<SoakBenchSettings>
{
    private const double Megabyte = 1024.0 * 1024.0;

    /// <inheritdoc />
    public override int Execute(CommandContext context, SoakBenchSettings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToTrainingOptions();
        options.Validate();
        using var loaded = settings.LoadModel();
        var model = (loaded.Pipeline ?? loaded.Equip(settings.ToQuietStarOptions(), settings.Seed)).Model;
        var corpus = LoadCorpus(settings, loaded);
        var clock = Stopwatch.StartNew();
        var samples = TrainingSoak.Run(model, loaded.Tokenizer, corpus, options, settings.SampleEvery, Console.Error);
        console.Output.WriteLine(JsonLine.Serialize(Report(settings, samples, clock.Elapsed.TotalSeconds)));
        return 0;
    }

    private static TextCorpus LoadCorpus(SoakBenchSettings settings, LoadedModel loaded)
    {
        if (settings.Data is { } file)
        {
            return TextCorpus.Load(file, loaded.Tokenizer);
        }

        using var reader = new StringReader(EmbeddedCorpus.ReadAll());
        return TextCorpus.FromReader(reader, EmbeddedCorpus.Name, loaded.Tokenizer);
    }

    private static Dictionary<string, object?> Report(SoakBenchSettings settings, IReadOnlyList<SoakSample> samples, double seconds)
    {
        var start = samples[0];
        var first = samples[Math.Min(1, samples.Count - 1)];
        var end = samples[^1];
        return new Dictionary<string, object?>
        {
            ["benchmark"] = "soak",
            ["steps"] = end.Step,
            ["seconds"] = seconds,
            ["live_tensors_start"] = start.LiveTensors,
            ["live_tensors_after_step_1"] = first.LiveTensors,
            ["live_tensors_end"] = end.LiveTensors,
            ["total_tensors_start"] = start.TotalTensors,
            ["total_tensors_after_step_1"] = first.TotalTensors,
            ["total_tensors_end"] = end.TotalTensors,
            ["rss_mb_start"] = start.ResidentBytes / Megabyte,
            ["rss_mb_after_step_1"] = first.ResidentBytes / Megabyte,
            ["rss_mb_end"] = end.ResidentBytes / Megabyte,
            ["threads_start"] = start.Threads,
            ["threads_end"] = end.Threads,
            ["loss_step_1"] = first.Loss,
            ["loss_end"] = end.Loss,
            ["samples"] = samples.Select(s => new { s.Step, s.LiveTensors, s.TotalTensors, RssMb = Math.Round(s.ResidentBytes / Megabyte, 1), s.Threads, s.Loss }),
            ["config"] = new
            {
                model = settings.ModelName,
                data = settings.Data ?? EmbeddedCorpus.Name,
                seq_len = settings.SequenceLength,
                batch = settings.Batch,
                passes = settings.Passes,
                thought_tokens = settings.ThoughtTokens,
                talk_tokens = settings.TalkTokens,
                sample_every = settings.SampleEvery,
                seed = settings.Seed,
            },
            ["runtime"] = RuntimeInfo.Current(),
        };
    }
}
