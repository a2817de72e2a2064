using System.Diagnostics;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Tokenization;
using QuietStar.Core.Training;
using TorchSharp;

namespace QuietStar.Cli.Infrastructure;

/// <summary>
/// A long training run that watches for leaks (not a unit test; the CLI's soak command calls it): trains with the
/// given options and samples the live tensor count, resident memory and thread count as it goes. Flat tensor counts
/// and a resident size that levels off after warm-up mean no step keeps anything alive.
/// </summary>
internal static class TrainingSoak
{
    /// <summary>Trains <paramref name="model"/> for <see cref="TrainingOptions.Steps"/> and writes a sample line every <paramref name="sampleEvery"/> steps.</summary>
    public static IReadOnlyList<SoakSample> Run(QuietStarModel model, TextTokenizer tokenizer, TextCorpus corpus, TrainingOptions options, int sampleEvery,
        TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleEvery);
        output.WriteLine($"soak: {options.Steps} steps, allocator {Allocator()}, torch threads {torch.get_num_threads()}, " +
            $"OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)"}");
        var samples = new List<SoakSample> { Measure(0, double.NaN) };
        output.WriteLine(samples[0]);
        using var trainer = new QuietStarTrainer(model, tokenizer, options);
        trainer.Train(corpus, new Callback(progress =>
        {
            if (progress.Step == 1 || progress.Step % sampleEvery == 0 || progress.Step == options.Steps)
            {
                samples.Add(Measure(progress.Step, progress.Metrics.Loss));
                output.WriteLine(samples[^1]);
            }
        }));
        return samples;
    }

    private static SoakSample Measure(int step, double loss)
    {
        using var process = Process.GetCurrentProcess();
        return new SoakSample(step, DisposeScopeManager.Statistics.ThreadTotalLiveCount, torch.Tensor.TotalCount, process.WorkingSet64,
            process.Threads.Count, loss);
    }

    /// <summary>The malloc in use: a preloaded tcmalloc or jemalloc, else the platform's.</summary>
    private static string Allocator()
    {
        string preload = Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "";
        string maps = OperatingSystem.IsLinux() && File.Exists("/proc/self/maps") ? File.ReadAllText("/proc/self/maps") : "";
        foreach (string name in new[] { "tcmalloc", "jemalloc", "mimalloc" })
        {
            if (preload.Contains(name, StringComparison.Ordinal) || maps.Contains($"lib{name}", StringComparison.Ordinal))
            {
                return name;
            }
        }

        string? tunables = Environment.GetEnvironmentVariable("GLIBC_TUNABLES");
        return OperatingSystem.IsLinux() ? "glibc malloc" + (tunables is null ? "" : $" ({tunables})") : "platform default";
    }

    /// <summary>Reports on the training thread, as each step ends (<see cref="Progress{T}"/> would post them later).</summary>
    private sealed class Callback(Action<TrainingProgress> onReport) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onReport(value);
    }
}

/// <summary>One measurement of a <see cref="TrainingSoak"/> run.</summary>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="LiveTensors">Tensors created and not disposed on the training thread (TorchSharp's per-thread statistics).</param>
/// <param name="TotalTensors">Tensor objects alive in the process (<c>Tensor.TotalCount</c>).</param>
/// <param name="ResidentBytes">Resident set size of the process.</param>
/// <param name="Threads">Threads of the process.</param>
/// <param name="Loss">The step's loss.</param>
internal sealed record SoakSample(int Step, long LiveTensors, long TotalTensors, long ResidentBytes, int Threads, double Loss)
{
    public override string ToString() =>
        $"step {Step,6}  live tensors {LiveTensors,6}  total tensors {TotalTensors,6}  RSS {ResidentBytes / (1024.0 * 1024.0),8:F1} MiB  threads {Threads,3}  loss {Loss:F4}";
}
