namespace QuietStar.Cli.Infrastructure;

/// <summary>Resident-set figures of this process from Linux's <c>/proc/self</c> (native torch memory included).</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident set size in MB since start or the last <see cref="ResetPeak"/>; null where /proc is unavailable.</summary>
    public static double? PeakRssMb() => ReadStatusKb("VmHWM:") is { } kb ? kb / 1024.0 : null;

    /// <summary>Current resident set size in MB; null where /proc is unavailable.</summary>
    public static double? RssMb() => ReadStatusKb("VmRSS:") is { } kb ? kb / 1024.0 : null;

    /// <summary>Resets the kernel's peak-RSS mark, so the next <see cref="PeakRssMb"/> covers only what follows. Returns false where unsupported.</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long? ReadStatusKb(string key)
    {
        if (!File.Exists("/proc/self/status"))
        {
            return null;
        }

        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}
