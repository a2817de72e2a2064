using System.Diagnostics;
using QuietStar.Cli.Commands.Generate;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Common;
using QuietStar.Core.Inference;
using QuietStar.Core.Tokenization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Bench;

/// <summary>
/// <c>quietstar bench decode</c>: milliseconds per generated token of base decoding (<c>pipeline.GenerateBatch</c>
/// without thoughts, KV-cached) and quiet decoding (the same, a thought before every token), interleaved run by
/// run in one process; prints one JSON line with medians and spread and the issue's target, quiet ≤ 1.2·(T+2)·base.
/// </summary>
/// <remarks>
/// The model is equipped freshly (w ≡ 0): speed does not depend on the head's weights, and with w ≡ 0 the quiet text
/// must equal the base text, which the report checks.
/// </remarks>
internal sealed class DecodeBenchCommand(CliConsole console) : Command<DecodeBenchSettings>
{
    private const double TargetFactor = 1.2;

    /// <inheritdoc />
    public override int Execute(CommandContext context, DecodeBenchSettings settings, CancellationToken cancellationToken)
    {
        using var loaded = settings.LoadModel();
        string modelType = loaded.Config.ModelType;
        var pipeline = loaded.Thinking(settings.ThoughtTokens); // fresh: w ≡ 0; the vocabulary grows by START/END
        var tokenizer = pipeline.Tokenizer;
        Decoder[] decoders = [Decoder.Base(pipeline, settings), Decoder.Quiet(pipeline, settings)];
        int promptTokens = tokenizer.Encode(settings.Prompt, addBos: tokenizer.BosId is not null).Length; // the first row's

        for (int run = 0; run < settings.Warmup + settings.Repeats; run++)
        {
            bool timed = run >= settings.Warmup;
            foreach (var decoder in decoders)
            {
                cancellationToken.ThrowIfCancellationRequested();
                double ms = decoder.Run(timed);
                console.Diagnostics.MarkupLineInterpolated(
                    $"[grey]{decoder.Name,-5} run {run + 1}/{settings.Warmup + settings.Repeats}{(timed ? "" : " (warm-up)")}: {ms:F2} ms/token[/]");
            }
        }

        console.Output.WriteLine(JsonLine.Serialize(Report(settings, decoders, promptTokens, modelType)));
        return 0;
    }

    private static Dictionary<string, object?> Report(DecodeBenchSettings settings, Decoder[] decoders, int promptTokens, string modelType)
    {
        var (baseline, quiet) = (decoders[0], decoders[1]);
        double baseMs = Statistics.Median(baseline.MsPerToken);
        double quietMs = Statistics.Median(quiet.MsPerToken);
        double target = TargetFactor * (settings.ThoughtTokens + 2) * baseMs;
        var report = new Dictionary<string, object?>
        {
            ["benchmark"] = "decode",
            ["config"] = new
            {
                model = settings.ModelName,
                model_type = modelType,
                prompt_tokens = promptTokens,
                max_tokens = settings.MaxTokens,
                thought_tokens = settings.ThoughtTokens,
                token_slots_per_quiet_token = settings.ThoughtTokens + 3,
                forward_calls_per_quiet_token = settings.ThoughtTokens + 2,
                repeats = settings.Repeats,
                warmup = settings.Warmup,
                seed = settings.Seed,
                greedy = true,
                batch = settings.Batch,
                dtype = "float32",
                device = "cpu",
            },
            ["runtime"] = RuntimeInfo.Current(),
            ["t_plus_2"] = settings.ThoughtTokens + 2,
            ["target_factor"] = TargetFactor,
        };

        foreach (var (key, value) in baseline.Summary("base").Concat(quiet.Summary("quiet")))
        {
            report[key] = value;
        }

        report["quiet_over_base"] = quietMs / baseMs;
        report["target_ms_per_token"] = target;
        report["within_target"] = quietMs <= target;
        report["text_equals_base"] = quiet.TokenIds.SequenceEqual(baseline.TokenIds);
        return report;
    }

    /// <summary>One decoder under test and its timings.</summary>
    private sealed class Decoder
    {
        private readonly Func<IReadOnlyList<int>> generate;

        private Decoder(string name, Func<IReadOnlyList<int>> generate)
        {
            Name = name;
            this.generate = generate;
        }

        public string Name { get; }

        public List<double> MsPerToken { get; } = [];

        public List<double> CpuMsPerToken { get; } = [];

        public IReadOnlyList<int> TokenIds { get; private set; } = [];

        public static Decoder Base(QuietStarPipeline pipeline, DecodeBenchSettings settings)
        {
            // without thoughts: the base model's KV-cached decoding, START/END never emitted
            var options = Options(settings);
            return new Decoder("base", () => [.. pipeline.GenerateBatch(settings.Prompts, options, ThoughtOptions.None).SelectMany(t => t.TokenIds)]);
        }

        public static Decoder Quiet(QuietStarPipeline pipeline, DecodeBenchSettings settings)
        {
            var options = Options(settings);
            return new Decoder("quiet", () => [.. pipeline.GenerateBatch(settings.Prompts, options, new ThoughtOptions()).SelectMany(t => t.TokenIds)]);
        }

        /// <summary>Generates once (every row); records ms per generated token (all rows' tokens) when <paramref name="timed"/>.</summary>
        public double Run(bool timed)
        {
            var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            TokenIds = generate();
            double ms = clock.Elapsed.TotalMilliseconds / TokenIds.Count;
            if (timed)
            {
                MsPerToken.Add(ms);
                CpuMsPerToken.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalMilliseconds / TokenIds.Count);
            }

            return ms;
        }

        public Dictionary<string, object?> Summary(string prefix) => new()
        {
            [$"{prefix}_ms_per_token"] = Statistics.Median(MsPerToken),
            [$"{prefix}_ms_per_token_p25"] = Statistics.Quantile(MsPerToken, 0.25),
            [$"{prefix}_ms_per_token_p75"] = Statistics.Quantile(MsPerToken, 0.75),
            [$"{prefix}_ms_per_token_min"] = MsPerToken.Min(),
            [$"{prefix}_ms_per_token_max"] = MsPerToken.Max(),
            [$"{prefix}_runs_ms_per_token"] = MsPerToken.Select(ms => Math.Round(ms, 3)).ToArray(),
            [$"{prefix}_cpu_ms_per_token"] = Statistics.Median(CpuMsPerToken),
            [$"{prefix}_runs_cpu_ms_per_token"] = CpuMsPerToken.Select(ms => Math.Round(ms, 3)).ToArray(),
        };

        private static GenerationOptions Options(DecodeBenchSettings settings) =>
            new() { Greedy = true, MaxTokens = settings.MaxTokens, StopAtEos = false, Seed = settings.Seed };
    }
}
