using QuietStar.Core.Model;
using TorchSharp;

namespace QuietStar.Cli.Infrastructure;

/// <summary>
/// How many torch threads a verb uses: <c>--threads</c> when given, else <c>OMP_NUM_THREADS</c> when set, else by the
/// size of the work. Splitting an op over threads pays only when each thread gets enough of it: quiet decoding of a
/// small model (one token per call; a few µs per op) ran 2–2.4× slower at 2 threads than at 1 on these 2-vCPU machines
/// (docs/performance.md, "Threads"), while a training step gained. The measure is the multiply-adds of the model's
/// largest per-layer product in one forward call: tokens per call × hidden × intermediate size.
/// </summary>
internal static class ThreadPolicy
{
    /// <summary>Below this many multiply-adds per MLP product, one thread (measured; docs/performance.md, "Threads").</summary>
    public const long ParallelWorkThreshold = 1L << 22;

    /// <summary>What was chosen last and why (reported in every JSON <c>runtime</c>).</summary>
    public static string Reason { get; private set; } = "torch default (no model loaded)";

    /// <summary>Sets torch's thread count for work of <paramref name="tokensPerCall"/> tokens per forward call on a model of <paramref name="config"/>.</summary>
    public static void Apply(int? requested, TransformerConfig config, long tokensPerCall)
    {
        long work = tokensPerCall * config.HiddenSize * config.IntermediateSize;
        if (requested is { } threads)
        {
            torch.set_num_threads(threads);
            Reason = "--threads";
            return;
        }

        if (Environment.GetEnvironmentVariable("OMP_NUM_THREADS") is { Length: > 0 })
        {
            Reason = "OMP_NUM_THREADS";
            return;
        }

        int chosen = work >= ParallelWorkThreshold ? Environment.ProcessorCount : 1;
        torch.set_num_threads(chosen);
        Reason = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"auto: {tokensPerCall} tokens per call * {config.HiddenSize} * {config.IntermediateSize} = {work} multiply-adds per MLP product, {(chosen == 1 ? "below" : "at least")} {ParallelWorkThreshold}");
    }
}
