using TorchSharp;

namespace QuietStar.Cli.Infrastructure;

/// <summary>What every benchmark figure must state: threads, allocator, OpenMP wait policy.</summary>
/// <param name="TorchThreads">torch's intra-op thread count.</param>
/// <param name="Allocator">"tcmalloc", "jemalloc" or "glibc", from LD_PRELOAD.</param>
/// <param name="OmpWaitPolicy">OMP_WAIT_POLICY as the native runtime sees it.</param>
/// <param name="ProcessorCount">Logical processors visible to the process.</param>
internal sealed record RuntimeInfo(int TorchThreads, string Allocator, string OmpWaitPolicy, int ProcessorCount)
{
    /// <summary>Reads the current process's figures.</summary>
    public static RuntimeInfo Current()
    {
        string preload = Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "";
        string allocator = preload.Contains("tcmalloc", StringComparison.Ordinal) ? "tcmalloc"
            : preload.Contains("jemalloc", StringComparison.Ordinal) ? "jemalloc"
            : "glibc";
        return new RuntimeInfo(torch.get_num_threads(), allocator,
            Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)", Environment.ProcessorCount);
    }
}
