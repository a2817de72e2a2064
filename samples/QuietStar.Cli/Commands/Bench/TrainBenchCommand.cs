using System.Diagnostics;
using QuietStar.Cli.Assets;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Common;
using QuietStar.Core.Tokenization;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Cli.Commands.Bench;

/// <summary>
/// <c>quietstar bench train</c>: full Quiet-STaR training steps (objective, backward, clipping, AdamW) on real text,
/// timed per step; prints one JSON line with medians and spread, peak RSS, threads and allocator.
/// </summary>
internal sealed class TrainBenchCommand(CliConsole console) : Command<TrainBenchSettings>
{
    private const int CorpusCharacters = 400_000;

    /// <inheritdoc />
    public override int Execute(CommandContext context, TrainBenchSettings settings, CancellationToken cancellationToken)
    {
        var variants = settings.Strategies
            .SelectMany(a => settings.PolicyWeights.Select(w => Variant.Create(settings, a, w, named: settings.PolicyWeights.Count > 1)))
            .ToList();
        var tokenizer = variants[0].Tokenizer;
        var corpus = tokenizer.Encode(ReadText(settings), addBos: true);
        if (corpus.Length <= settings.SequenceLength)
        {
            throw new InvalidOperationException($"The text has {corpus.Length} tokens, fewer than one sequence of {settings.SequenceLength}.");
        }

        var crops = new Random((int)settings.Seed);
        for (int step = 0; step < settings.Warmup + settings.Steps; step++)
        {
            using var batchScope = torch.NewDisposeScope();
            var batch = Crop(corpus, settings.Batch, settings.SequenceLength, crops);                 // [B, L], same for every variant
            foreach (var variant in variants)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (seconds, peak, loss) = variant.Step(batch);
                bool timed = step >= settings.Warmup;
                if (timed)
                {
                    variant.Record(seconds, peak, loss);
                }

                console.Diagnostics.MarkupLineInterpolated(
                    $"[grey]{variant.Name,-16} step {step + 1}/{settings.Warmup + settings.Steps}{(timed ? "" : " (warm-up)")}: {seconds:F2} s, peak RSS {peak:F0} MB, loss {loss:G4}[/]");
            }
        }

        console.Output.WriteLine(JsonLine.Serialize(Report(settings, variants)));
        foreach (var variant in variants)
        {
            variant.Dispose();
        }

        return 0;
    }

    private static Dictionary<string, object?> Report(TrainBenchSettings settings, List<Variant> variants)
    {
        var results = variants.Select(v => v.Summary(settings)).ToList();
        var report = new Dictionary<string, object?>
        {
            ["benchmark"] = "train",
            ["config"] = new
            {
                model = settings.ModelName,
                data = settings.Data ?? EmbeddedCorpus.Name,
                seq_len = settings.SequenceLength,
                batch = settings.Batch,
                passes = settings.Passes,
                thought_tokens = settings.ThoughtTokens,
                talk_tokens = settings.TalkTokens,
                forward_passes_per_step = settings.ThoughtTokens + settings.TalkTokens + 2,
                steps = settings.Steps,
                warmup = settings.Warmup,
                attention = settings.Attention.ToLowerInvariant(),
                policy_weights = settings.PolicyWeights,
                seed = settings.Seed,
                dtype = "float32",
                device = "cpu",
            },
            ["runtime"] = RuntimeInfo.Current(),
        };

        foreach (var (key, value) in results[0])
        {
            report[key] = value;  // the first (or only) strategy at top level
        }

        if (variants.Count > 1)
        {
            report["variants"] = results;
            double Median(int i) => (double)results[i]["seconds_per_step_median"]!;
            if (settings.PolicyWeights.Count == 1)
            {
                report["masked_over_diagonal_time_ratio"] = Median(1) / Median(0);
            }
            else if (settings.Strategies.Count == 1 && settings.PolicyWeights.Count == 2)
            {
                report["second_over_first_weight_time_ratio"] = Median(1) / Median(0);
            }
        }

        return report;
    }

    private static string ReadText(TrainBenchSettings settings)
    {
        string text = settings.Data is null ? EmbeddedCorpus.ReadAll() : File.ReadAllText(settings.Data);
        return text.Length > CorpusCharacters ? text[..CorpusCharacters] : text;
    }

    private static Tensor Crop(int[] corpus, int batch, int length, Random random)
    {
        var ids = new long[batch * length];
        for (int b = 0; b < batch; b++)
        {
            int start = random.Next(0, corpus.Length - length);
            for (int t = 0; t < length; t++)
            {
                ids[(b * length) + t] = corpus[start + t];
            }
        }

        return torch.tensor(ids, [batch, length], dtype: ScalarType.Int64);                       // [B, L]
    }

    /// <summary>One strategy under test: its own model copy, optimizer, generator and measurements.</summary>
    private sealed class Variant : IDisposable
    {
        private readonly LoadedModel pretrained;
        private readonly QuietStarModel model;
        private readonly QuietStarObjective objective;
        private readonly optim.Optimizer optimizer;
        private readonly Generator generator;
        private readonly List<double> seconds = [];
        private readonly List<double> peaks = [];
        private readonly List<double> cpuSeconds = [];
        private readonly StepBreakdown? breakdown;
        private double lastCpu;
        private double lastLoss;

        private Variant(ThoughtAttention attention, double policyWeight, bool named, LoadedModel pretrained, QuietStarPipeline pipeline, long seed, bool breakdown)
        {
            model = pipeline.Model;
            this.breakdown = breakdown ? new StepBreakdown(model.LanguageModel, model.Options) : null;
            Attention = attention.ToString().ToLowerInvariant();
            PolicyWeight = policyWeight;
            Name = named ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Attention} w={policyWeight:G3}") : Attention;
            this.pretrained = pretrained;
            objective = pipeline.CreateObjective(releaseSavedTensorsInBackward: true);  // as the trainer runs it
            optimizer = torch.optim.AdamW(model.parameters(), lr: 1e-6, weight_decay: 0.001);
            generator = new Generator(unchecked((ulong)seed));
        }

        public string Name { get; }

        public string Attention { get; }

        public double PolicyWeight { get; }

        public TextTokenizer Tokenizer => pretrained.Tokenizer;

        public static Variant Create(TrainBenchSettings settings, ThoughtAttention attention, double policyWeight, bool named)
        {
            var pretrained = settings.LoadModel();
            var options = settings.ToOptions(attention, policyWeight);
            var pipeline = pretrained.Equip(options, settings.Seed);
            pipeline.Model.train();
            return new Variant(attention, policyWeight, named, pretrained, pipeline, settings.Seed + 1, settings.Breakdown);
        }

        public (double Seconds, double PeakMb, double Loss) Step(Tensor batch)
        {
            ProcessMemory.ResetPeak();
            var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            using (var scope = torch.NewDisposeScope())
            {
                breakdown?.BeginStep();
                optimizer.zero_grad();
                var result = objective.Compute(batch, null, generator);
                breakdown?.Mark(StepBreakdown.Part.Objective);
                result.Loss.backward();
                breakdown?.Mark(StepBreakdown.Part.Backward);
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                breakdown?.Mark(StepBreakdown.Part.Clip);
                optimizer.step();
                breakdown?.Mark(StepBreakdown.Part.Optimizer);
                lastLoss = result.Loss.item<float>();
            }

            double wall = clock.Elapsed.TotalSeconds;
            lastCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
            return (wall, ProcessMemory.PeakRssMb() ?? double.NaN, lastLoss);
        }

        public void Record(double stepSeconds, double peakMb, double loss)
        {
            breakdown?.Keep();
            cpuSeconds.Add(lastCpu);
            seconds.Add(stepSeconds);
            peaks.Add(peakMb);
            lastLoss = loss;
        }

        public Dictionary<string, object?> Summary(TrainBenchSettings settings)
        {
            double median = Statistics.Median(seconds);
            return new Dictionary<string, object?>
            {
                ["attention"] = Attention,
                ["policy_weight"] = PolicyWeight,
                ["seconds_per_step_median"] = median,
                ["seconds_per_step_p25"] = Statistics.Quantile(seconds, 0.25),
                ["seconds_per_step_p75"] = Statistics.Quantile(seconds, 0.75),
                ["seconds_per_step_min"] = seconds.Min(),
                ["seconds_per_step_max"] = seconds.Max(),
                ["step_seconds"] = seconds.Select(s => Math.Round(s, 3)).ToArray(),
                // CPU time of the whole process per step (all threads): less sensitive than wall time to other jobs on a shared machine.
                ["cpu_seconds_per_step_median"] = Statistics.Median(cpuSeconds),
                ["step_cpu_seconds"] = cpuSeconds.Select(s => Math.Round(s, 3)).ToArray(),
                ["tokens_per_second"] = settings.Batch * settings.SequenceLength / median,
                ["peak_rss_mb"] = peaks.Max(),
                ["final_loss"] = lastLoss,
                ["breakdown"] = breakdown?.Summary(),
            };
        }

        public void Dispose()
        {
            model.Dispose();
            pretrained.Dispose();
        }
    }
}
