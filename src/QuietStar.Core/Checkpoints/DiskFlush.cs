using System.ComponentModel;
using System.Runtime.InteropServices;

namespace QuietStar.Core.Checkpoints;

/// <summary>
/// Forces written data and renames onto the disk (fsync), as databases do before they rely on a rename: a file's
/// content must be durable before the rename that publishes it, and the folder holding a renamed entry must be
/// synced for the rename itself to survive a power loss. On Windows, folders cannot be opened for flushing (NTFS
/// journals renames), so only files are flushed there.
/// </summary>
internal static class DiskFlush
{
    private const int ReadOnly = 0; // O_RDONLY: enough to fsync a file or a folder on Linux and macOS

    /// <summary>Flushes one file's content and metadata to the disk.</summary>
    /// <exception cref="IOException">The file cannot be opened or synced.</exception>
    public static void File(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            stream.Flush(flushToDisk: true);                          // FlushFileBuffers needs write access
            return;
        }

        Sync(path, "file");
    }

    /// <summary>Flushes a folder's entries (names created, renamed or deleted in it) to the disk; nothing on Windows.</summary>
    /// <exception cref="IOException">The folder cannot be opened or synced.</exception>
    public static void Folder(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            Sync(path, "folder");
        }
    }

    /// <summary>open(path, O_RDONLY), fsync, close: works for files (even read-only ones) and folders on Linux and macOS.</summary>
    private static void Sync(string path, string kind)
    {
        int descriptor = Open(path, ReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"Cannot open {kind} '{path}' to flush it to disk: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}.");
        }

        try
        {
            if (Fsync(descriptor) != 0)
            {
                throw new IOException($"Cannot flush {kind} '{path}' to disk: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}.");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    /// <summary>Flushes every file under <paramref name="root"/>, then every folder (deepest first), then <paramref name="root"/>.</summary>
    public static void Tree(string root)
    {
        foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            File(file);
        }

        foreach (string folder in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).OrderByDescending(f => f.Length))
        {
            Folder(folder);
        }

        Folder(root);
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int descriptor);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int descriptor);
}
