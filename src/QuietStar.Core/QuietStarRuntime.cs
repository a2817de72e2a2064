using System.Runtime.InteropServices;

namespace QuietStar.Core;

/// <summary>
/// Process-level settings of the native runtime that must be chosen before it loads. The library never applies them
/// on its own (they belong to the application, like the thread count); this is the one call that does it correctly.
/// </summary>
public static class QuietStarRuntime
{
    /// <summary>The OpenMP variable that chooses how idle worker threads wait.</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>libgomp's variable for how many times an idle worker thread spins before it sleeps.</summary>
    public const string SpinCountVariable = "GOMP_SPINCOUNT";

    /// <summary>
    /// The spin count <see cref="UsePassiveOpenMpWait"/> sets: an idle libgomp worker polls this many times before it
    /// sleeps, so the next of a step's many small parallel regions often finds it awake. Chosen for machines that may be
    /// shared (docs/performance.md, "Threads: a short spin before sleeping"; 2-vCPU Zen 4 VM, reference training step,
    /// 2 threads): 1,000 took 2.2–2.7 s on an idle machine against 3.3–3.5 s with no spin, and 4.6 s against 3.9–4.0 s
    /// with the second vCPU busy; 30,000 took 2.2 s idle but 16–17 s busy. On a machine of one's own, set
    /// <c>GOMP_SPINCOUNT</c> higher in the environment (3000 gave 2.2 s idle, 6.1 s busy); 0 sleeps at once. libgomp (Linux) only: other
    /// OpenMP runtimes ignore the variable.
    /// </summary>
    public const int DefaultSpinCount = 1_000;

    /// <summary>
    /// Makes libtorch's OpenMP worker threads sleep when idle (<c>OMP_WAIT_POLICY=PASSIVE</c>) after a short spin
    /// (libgomp's <c>GOMP_SPINCOUNT</c> = <see cref="DefaultSpinCount"/>, unless the environment sets one) instead of
    /// spinning for long. On small or shared machines (2-vCPU VMs, containers with a CPU quota, a busy second core)
    /// long-spinning threads take the cores the work needs: we measured 2-thread decoding and training 5–10× slower
    /// than 1 thread with OpenMP's default wait. Sleeping at once costs a wake-up in every one of a step's thousands of
    /// small parallel regions instead; the short spin keeps some of them (see <see cref="DefaultSpinCount"/>). OpenMP
    /// reads the variables once, when the native runtime loads, so call this first thing in <c>Main</c>, before any
    /// model, pipeline or tensor is created. When the environment already chose a policy, nothing is set (no spin count
    /// either): set both there, e.g. <c>OMP_WAIT_POLICY=PASSIVE GOMP_SPINCOUNT=1000</c>.
    /// On Linux and macOS the variable is set with libc's <c>setenv</c>, which native code sees (a variable set only
    /// through <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach native <c>getenv</c>
    /// there); on Windows, through the process environment.
    /// </summary>
    /// <returns>True when this call set the policy; false when the environment had already chosen one.</returns>
    /// <exception cref="InvalidOperationException">
    /// The OpenMP runtime is already loaded in this process (a torch call came first), so the policy could no longer
    /// take effect; the message says what to do instead.
    /// </exception>
    public static bool UsePassiveOpenMpWait()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(WaitPolicyVariable)))
        {
            return false;
        }

        if (LoadedOpenMpRuntime() is { } loaded)
        {
            throw new InvalidOperationException(
                $"{nameof(UsePassiveOpenMpWait)} was called after the OpenMP runtime ({loaded}) had loaded, so {WaitPolicyVariable} " +
                "would be ignored. Call it first thing in Main, before any model, pipeline or tensor is created, or set " +
                $"{WaitPolicyVariable}=PASSIVE {SpinCountVariable}={DefaultSpinCount} in the environment that starts the process.");
        }

        SetNativeEnvironmentVariable(WaitPolicyVariable, "PASSIVE");
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SpinCountVariable)))
        {
            SetNativeEnvironmentVariable(SpinCountVariable, DefaultSpinCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return true;
    }

    /// <summary>Sets a variable for managed and native readers alike.</summary>
    /// <exception cref="InvalidOperationException">libc's <c>setenv</c> failed.</exception>
    internal static void SetNativeEnvironmentVariable(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if ((OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && SetEnv(name, value, overwrite: 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed with error {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>The file name of an OpenMP runtime mapped into this process (Linux), or null when none is or it cannot be told.</summary>
    internal static string? LoadedOpenMpRuntime()
    {
        const string maps = "/proc/self/maps";
        if (!OperatingSystem.IsLinux() || !File.Exists(maps))
        {
            return null;
        }

        return File.ReadLines(maps)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
            .Select(Path.GetFileName)
            .FirstOrDefault(file => file is not null && (file.StartsWith("libgomp", StringComparison.Ordinal)
                || file.StartsWith("libiomp", StringComparison.Ordinal) || file.StartsWith("libomp", StringComparison.Ordinal)));
    }

    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    private static extern int SetEnv(
        [MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
