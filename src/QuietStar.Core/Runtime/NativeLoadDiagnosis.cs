using System.Text;
using System.Text.RegularExpressions;

namespace QuietStar.Core.Runtime;

/// <summary>What is known about a failed load of TorchSharp's native library.</summary>
/// <param name="LibraryPath">The <c>libLibTorchSharp.so</c> the application would load; null when none was found.</param>
/// <param name="VersionNeeds">Its ELF symbol-version requirements (empty when unknown).</param>
/// <param name="LoaderError">What the dynamic loader said when asked to load <paramref name="LibraryPath"/>; null when it loaded or was not asked.</param>
/// <param name="TorchSharpMessage">The first line of TorchSharp's own message.</param>
internal sealed record NativeLoadFacts(
    string? LibraryPath,
    IReadOnlyList<ElfVersionNeed> VersionNeeds,
    string? LoaderError,
    string TorchSharpMessage);

/// <summary>
/// Turns a failed load of TorchSharp's native library into a message that names the real cause. TorchSharp 0.107
/// reports every failed load as a missing reference to <c>libtorch-cpu-linux-x64</c>; on Linux systems whose
/// libstdc++ predates GCC 13 the real cause is the unmet <c>GLIBCXX_3.4.32</c> requirement of
/// <c>libLibTorchSharp.so</c>, which the package's build step marks weak in the application's output.
/// </summary>
internal static partial class NativeLoadDiagnosis
{
    /// <summary>The file name of TorchSharp's native library on Linux.</summary>
    public const string LibraryFileName = "libLibTorchSharp.so";

    /// <summary>The version requirements the package's build step marks weak (its <c>LibTorchSharpWeakVersions</c> default).</summary>
    public static IReadOnlySet<string> PatchedVersions { get; } = new HashSet<string>(StringComparer.Ordinal) { "GLIBCXX_3.4.32" };

    /// <summary>Builds the message for <paramref name="facts"/>.</summary>
    public static string BuildMessage(NativeLoadFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var message = new StringBuilder("QuietStar.Core could not start TorchSharp: ");
        if (facts.LibraryPath is null)
        {
            message.Append($"its native library {LibraryFileName} was not found next to the application. ")
                .Append("Reference a native backend package in the application (not in a library): libtorch-cpu-linux-x64 ")
                .Append("(CPU, Linux x64), TorchSharp-cpu (CPU, all platforms) or a CUDA backend, at the libtorch version ")
                .Append("TorchSharp was built for.");
        }
        else if (facts.LoaderError is null)
        {
            message.Append($"{facts.LibraryPath} loads, but TorchSharp's initialisation failed (see the inner exception).");
        }
        else if (MissingVersion().Match(facts.LoaderError) is { Success: true } missing)
        {
            AppendMissingVersion(message, facts, missing.Groups["version"].Value, missing.Groups["provider"].Value,
                missing.Groups["requiredBy"].Value);
        }
        else
        {
            message.Append($"the dynamic loader refused {facts.LibraryPath}. ")
                .Append("A dependency may be missing (libtorch-cpu-linux-x64 or another backend must be referenced by the ")
                .Append("application, at the libtorch version TorchSharp was built for) or built for another system.");
        }

        if (facts.LoaderError is not null)
        {
            message.Append("\nLoader error: ").Append(facts.LoaderError.Trim());
        }

        message.Append("\nTorchSharp said: ").Append(facts.TorchSharpMessage.Trim());
        return message.ToString();
    }

    private static void AppendMissingVersion(StringBuilder message, NativeLoadFacts facts, string version, string provider, string requiredBy)
    {
        string kind = version.StartsWith("GLIBCXX_", StringComparison.Ordinal) ? "libstdc++"
            : version.StartsWith("GLIBC_", StringComparison.Ordinal) ? "glibc"
            : "the library";
        message.Append($"{requiredBy} requires symbol version {version}, which {provider} on this system does not provide")
            .Append(version == "GLIBCXX_3.4.32" ? " (it is libstdc++ from GCC 13 or later; Debian 12 has GCC 12's). " : ". ")
            .Append("TorchSharp's own message, which blames a missing reference to libtorch-cpu-linux-x64, is misleading: ")
            .Append("the backend is there, the loader refused it.\n");

        var need = facts.VersionNeeds.FirstOrDefault(n => n.Version == version);
        if (need is { IsWeak: false })
        {
            message.Append($"This copy of {LibraryFileName} is unpatched: its {version} requirement is not marked weak.\n");
        }

        if (PatchedVersions.Contains(version))
        {
            message.Append("Fix: QuietStar.Core's package ships a build step (build/QuietStar.Core.targets) that marks this one ")
                .Append($"requirement weak in the application's own copy of {LibraryFileName} (no symbol of that version is used ")
                .Append("at run time). It runs on Linux after every build and publish of a project that references QuietStar.Core. ")
                .Append("Check that the project was built with it: the property SkipLibTorchSharpPatch is not 'true', the package's ")
                .Append("build assets are not excluded (ExcludeAssets=\"build;buildTransitive\"), and the file was written by that ")
                .Append("build rather than copied in afterwards. Or run on a system whose ")
                .Append($"{kind} provides {version} (GCC 13 or later, e.g. Debian 13 or Ubuntu 24.04).");
        }
        else
        {
            message.Append($"QuietStar.Core's build step only covers {string.Join(", ", PatchedVersions)}; ")
                .Append($"{version} needs a newer {kind}: run on a newer distribution.");
        }
    }

    [GeneratedRegex(@"(?<provider>[^\s:]+): version [`'](?<version>[^`']+)' not found \(required by (?<requiredBy>[^)]+)\)")]
    private static partial Regex MissingVersion();
}
