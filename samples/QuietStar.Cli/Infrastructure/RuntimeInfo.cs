using TorchSharp;

namespace QuietStar.Cli.Infrastructure;

/// <summary>What every benchmark figure must state: threads, allocator, OpenMP wait policy.</summary>
/// <param name="TorchThreads">torch's intra-op thread count.</param>
/// <param name="ThreadsChosenBy">How <paramref name="TorchThreads"/> was chosen (<see cref="ThreadPolicy"/>).</param>
/// <param name="Allocator">"tcmalloc", "jemalloc" or "glibc": the allocator mapped into the process (LD_PRELOAD alone is not proof: a missing library is skipped).</param>
/// <param name="OmpWaitPolicy">OMP_WAIT_POLICY as the native runtime sees it.</param>
/// <param name="ProcessorCount">Logical processors visible to the process.</param>
/// <param name="GompSpinCount">GOMP_SPINCOUNT as the native runtime sees it: how long an idle OpenMP thread spins before it sleeps.</param>
internal sealed record RuntimeInfo(int TorchThreads, string ThreadsChosenBy, string Allocator, string OmpWaitPolicy, int ProcessorCount, string GompSpinCount)
{
    /// <summary>Reads the current process's figures.</summary>
    public static RuntimeInfo Current() =>
        new(torch.get_num_threads(), ThreadPolicy.Reason, MappedAllocator(),
            Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)", Environment.ProcessorCount,
            Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") ?? "(unset)");

    private static string MappedAllocator()
    {
        string maps = OperatingSystem.IsLinux() && File.Exists("/proc/self/maps") ? File.ReadAllText("/proc/self/maps") : "";
        string source = maps.Length > 0 ? maps : Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "";
        return source.Contains("tcmalloc", StringComparison.Ordinal) ? "tcmalloc"
            : source.Contains("jemalloc", StringComparison.Ordinal) ? "jemalloc"
            : "glibc";
    }
}
