using System.Runtime.InteropServices;
using TorchSharp;

namespace QuietStar.Core.Runtime;

/// <summary>
/// Loads TorchSharp's native backend where the library first touches torch (building a pipeline, creating a
/// model) and, on Linux, replaces TorchSharp's misleading load failure by one that names the real cause
/// (<see cref="NativeLoadDiagnosis"/>). It only loads the native library: no default device, dtype or seed is set.
/// </summary>
internal static class TorchNative
{
    private static volatile bool loaded;

    /// <summary>Makes sure TorchSharp's native backend is loaded.</summary>
    /// <exception cref="InvalidOperationException">On Linux, the backend did not load; the message names the cause and the fix.</exception>
    public static void EnsureLoaded()
    {
        if (loaded)
        {
            return;
        }

        try
        {
            torch.TryInitializeDeviceType(DeviceType.CPU);
            loaded = true;
        }
        catch (Exception e) when (IsLoadFailure(e) && OperatingSystem.IsLinux())
        {
            throw new InvalidOperationException(NativeLoadDiagnosis.BuildMessage(Inspect(e)), e);
        }
    }

    /// <summary>
    /// <see cref="EnsureLoaded()"/>, then returns <paramref name="moduleName"/>: for module constructors, which must
    /// load the backend before their base constructor runs.
    /// </summary>
    public static string EnsureLoaded(string moduleName)
    {
        EnsureLoaded();
        return moduleName;
    }

    /// <summary>Gathers the facts about a failed load: which file, its version needs, what the loader says of it.</summary>
    internal static NativeLoadFacts Inspect(Exception failure)
    {
        string? path = Locate();
        IReadOnlyList<ElfVersionNeed> needs = [];
        string? loaderError = null;
        if (path is not null)
        {
            try
            {
                needs = ElfVersionNeeds.ReadFile(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // The loader's own words below are what matters; the version table only adds detail.
            }

            loaderError = TryLoad(path);
        }

        return new NativeLoadFacts(path, needs, loaderError, FirstLine(Innermost(failure).Message));
    }

    /// <summary>What the dynamic loader says when asked to load <paramref name="path"/>; null when it loads.</summary>
    internal static string? TryLoad(string path)
    {
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// The <c>libLibTorchSharp.so</c> the application would load: in the native search directories of its
    /// <c>deps.json</c>, in <c>runtimes/linux-x64/native</c> below the application, or in TorchSharp's fallback
    /// <c>cpu/</c> folder next to <c>TorchSharp.dll</c>. Null when there is none.
    /// </summary>
    internal static string? Locate()
    {
        var folders = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
        {
            folders.AddRange(searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        }

        folders.Add(AppContext.BaseDirectory);
        folders.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"));
        if (Path.GetDirectoryName(typeof(torch).Assembly.Location) is { Length: > 0 } torchSharpFolder)
        {
            folders.Add(Path.Combine(torchSharpFolder, "cpu"));
        }

        return folders.Select(folder => Path.Combine(folder, NativeLoadDiagnosis.LibraryFileName)).FirstOrDefault(File.Exists);
    }

    private static bool IsLoadFailure(Exception e) =>
        e is TypeInitializationException or NotSupportedException or DllNotFoundException or EntryPointNotFoundException;

    private static Exception Innermost(Exception e)
    {
        while (e is TypeInitializationException { InnerException: { } inner })
        {
            e = inner;
        }

        return e;
    }

    private static string FirstLine(string text)
    {
        string trimmed = text.TrimStart();
        int end = trimmed.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? trimmed : trimmed[..end].TrimEnd();
    }
}
