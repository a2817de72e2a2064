using System.Buffers.Binary;
using System.Text;

namespace QuietStar.Core.Runtime;

/// <summary>One symbol-version requirement of an ELF shared object (a <c>Vernaux</c> entry of <c>.gnu.version_r</c>).</summary>
/// <param name="Library">The library the version is required from, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="IsWeak">Whether the requirement carries <c>VER_FLG_WEAK</c> (the loader does not insist on it).</param>
internal sealed record ElfVersionNeed(string Library, string Version, bool IsWeak);

/// <summary>
/// Reads the version requirements (<c>SHT_GNU_verneed</c>) of a little-endian ELF64 file, read-only: the runtime
/// counterpart of the build step in <c>buildTransitive/QuietStar.Core.targets</c>, used to explain a failed load.
/// </summary>
internal static class ElfVersionNeeds
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>The requirements in file order; empty for a file that is not ELF64 little-endian or has none.</summary>
    /// <exception cref="InvalidDataException">The file claims to be ELF64 but its tables point outside it.</exception>
    public static IReadOnlyList<ElfVersionNeed> Read(ReadOnlySpan<byte> elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F'
            || elf[4] != 2 || elf[5] != 1)
        {
            return [];
        }

        try
        {
            return ReadElf64(elf);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
        {
            throw new InvalidDataException("The ELF file's section or version tables point outside the file.", e);
        }
    }

    /// <summary>Reads <paramref name="path"/> (see <see cref="Read(ReadOnlySpan{byte})"/>).</summary>
    public static IReadOnlyList<ElfVersionNeed> ReadFile(string path) => Read(File.ReadAllBytes(path));

    private static IReadOnlyList<ElfVersionNeed> ReadElf64(ReadOnlySpan<byte> b)
    {
        var needs = new List<ElfVersionNeed>();
        long shoff = I64(b, 0x28);
        int shentsize = U16(b, 0x3A);
        int shnum = U16(b, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            int sh = checked((int)(shoff + ((long)s * shentsize)));
            if (U32(b, sh + 4) != ShtGnuVerneed)
            {
                continue;
            }

            int offset = checked((int)I64(b, sh + 0x18));
            uint link = U32(b, sh + 0x28);
            uint count = U32(b, sh + 0x2C);
            int strings = checked((int)I64(b, checked((int)(shoff + ((long)link * shentsize))) + 0x18));
            int vn = offset;
            for (uint i = 0; i < count; i++)
            {
                string library = CString(b, strings + (int)U32(b, vn + 4));
                int auxCount = U16(b, vn + 2);
                int aux = vn + (int)U32(b, vn + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    ushort flags = U16(b, aux + 4);
                    needs.Add(new ElfVersionNeed(library, CString(b, strings + (int)U32(b, aux + 8)), (flags & VerFlgWeak) != 0));
                    uint nextAux = U32(b, aux + 12);
                    if (nextAux == 0)
                    {
                        break;
                    }

                    aux += (int)nextAux;
                }

                uint next = U32(b, vn + 12);
                if (next == 0)
                {
                    break;
                }

                vn += (int)next;
            }
        }

        return needs;
    }

    private static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(at, 2));

    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(at, 4));

    private static long I64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadInt64LittleEndian(b.Slice(at, 8));

    private static string CString(ReadOnlySpan<byte> b, int at)
    {
        int length = b[at..].IndexOf((byte)0);
        if (length < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(at), "Unterminated string.");
        }

        return Encoding.ASCII.GetString(b.Slice(at, length));
    }
}
