namespace QuietStar.Core.Checkpoints;

/// <summary>
/// Replaces a folder so that a crash at any point leaves either the old or the new content complete: the new
/// content is built in a temporary sibling and flushed to disk (every file, every folder: fsync), the old folder is
/// renamed away, the new one renamed in, the parent folder flushed so that both renames are durable, and only then
/// the old one deleted. <see cref="Recover"/> puts the old folder back if a crash fell between the two renames.
/// </summary>
internal static class AtomicFolder
{
    private const string BuildingMarker = ".building-";
    private const string ReplacedMarker = ".replaced-";

    /// <summary>Builds new content with <paramref name="build"/> (given the temporary folder) and swaps it in.</summary>
    /// <param name="folder">The folder to create or replace.</param>
    /// <param name="build">Writes the complete new content into the folder it is given.</param>
    /// <param name="afterStep">Test seam: called with "built", "flushed", "replaced-old" and "parent-flushed" between the stages.</param>
    public static void Replace(string folder, Action<string> build, Action<string>? afterStep = null)
    {
        var (parent, name) = Locate(folder);
        if (File.Exists(folder))
        {
            throw new IOException($"Cannot save to '{folder}': it is a file, not a folder. Choose a folder path.");
        }

        Directory.CreateDirectory(parent);
        Recover(folder);
        DeleteLeftovers(parent, name);
        string building = Path.Combine(parent, $".{name}{BuildingMarker}{Guid.NewGuid():N}");
        Directory.CreateDirectory(building);
        try
        {
            build(building);
            afterStep?.Invoke("built");
            DiskFlush.Tree(building);            // the content is on disk before any rename publishes it
            afterStep?.Invoke("flushed");
        }
        catch
        {
            Directory.Delete(building, recursive: true);
            throw;
        }

        string target = Path.Combine(parent, name);
        if (!Directory.Exists(target))
        {
            Directory.Move(building, target);
            DiskFlush.Folder(parent);
            afterStep?.Invoke("parent-flushed");
            return;
        }

        string replaced = Path.Combine(parent, $".{name}{ReplacedMarker}{Guid.NewGuid():N}");
        Directory.Move(target, replaced);
        afterStep?.Invoke("replaced-old");
        Directory.Move(building, target);
        DiskFlush.Folder(parent);                // both renames are durable before the old content goes
        afterStep?.Invoke("parent-flushed");
        Directory.Delete(replaced, recursive: true);
    }

    /// <summary>If <paramref name="folder"/> is missing because a replacement was interrupted, renames the old content back.</summary>
    /// <returns>Whether a folder was recovered.</returns>
    public static bool Recover(string folder)
    {
        var (parent, name) = Locate(folder);
        string target = Path.Combine(parent, name);
        if (Directory.Exists(target) || !Directory.Exists(parent))
        {
            return false;
        }

        string? previous = Directory.EnumerateDirectories(parent, $".{name}{ReplacedMarker}*")
            .OrderByDescending(Directory.GetLastWriteTimeUtc)
            .FirstOrDefault();
        if (previous is null)
        {
            return false;
        }

        Directory.Move(previous, target);
        return true;
    }

    private static void DeleteLeftovers(string parent, string name)
    {
        foreach (string pattern in new[] { $".{name}{BuildingMarker}*", $".{name}{ReplacedMarker}*" })
        {
            foreach (string leftover in Directory.EnumerateDirectories(parent, pattern))
            {
                Directory.Delete(leftover, recursive: true);
            }
        }
    }

    private static (string Parent, string Name) Locate(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        string name = Path.GetFileName(full);
        if (name.Length == 0)
        {
            throw new ArgumentException($"'{folder}' is a root; choose a folder inside it.", nameof(folder));
        }

        return (Path.GetDirectoryName(full)!, name);
    }
}
