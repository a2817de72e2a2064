namespace QuietStar.Core.Loading;

/// <summary>
/// Writes a folder so that readers never see it half written: the content goes to a temporary sibling folder, which
/// is then renamed into place. An existing folder is renamed aside first (so for an instant there is none) and
/// deleted only once the new one is in place; a failure while writing or swapping leaves the old folder as it was.
/// </summary>
internal static class AtomicFolder
{
    /// <summary>Creates (or replaces) <paramref name="folder"/> with the content <paramref name="writeContent"/> writes into the folder it is given.</summary>
    /// <exception cref="IOException"><paramref name="folder"/> is an existing file.</exception>
    public static void Write(string folder, Action<string> writeContent)
    {
        string target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        if (File.Exists(target))
        {
            throw new IOException($"Cannot save a model to '{target}': it is a file, not a folder.");
        }

        string parent = Path.GetDirectoryName(target) ?? throw new IOException($"Cannot save a model to the root '{target}'.");
        Directory.CreateDirectory(parent);
        string temporary = Sibling(target, "tmp");
        try
        {
            Directory.CreateDirectory(temporary);
            writeContent(temporary);
            MoveIntoPlace(temporary, target);
        }
        finally
        {
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }
        }
    }

    private static void MoveIntoPlace(string temporary, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(temporary, target);
            return;
        }

        string old = Sibling(target, "old");
        Directory.Move(target, old);
        try
        {
            Directory.Move(temporary, target);
        }
        catch
        {
            Directory.Move(old, target);
            throw;
        }

        Directory.Delete(old, recursive: true);
    }

    private static string Sibling(string target, string suffix) =>
        Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.{suffix}");
}
