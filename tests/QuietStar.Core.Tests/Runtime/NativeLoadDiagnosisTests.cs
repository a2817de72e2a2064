using System.Buffers.Binary;
using System.Text;
using FluentAssertions;
using QuietStar.Core.Runtime;
using QuietStar.Core.Tests.Checkpoints;
using Xunit;

namespace QuietStar.Core.Tests.Runtime;

/// <summary>
/// The message that replaces TorchSharp's misleading load failure, built from synthetic facts and a synthetic ELF
/// file: torch stays loaded in this process.
/// </summary>
public sealed class NativeLoadDiagnosisTests
{
    private const string App = "/srv/app/runtimes/linux-x64/native/libLibTorchSharp.so";
    private const string LibStdCxx = "/lib/x86_64-linux-gnu/libstdc++.so.6";
    private const string TorchSharpSaid =
        "This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.";

    private static string LoaderError(string version) =>
        $"Unable to load shared library '{App}' or one of its dependencies. In order to help diagnose loading problems, "
        + $"consider using a tool like strace.\n{LibStdCxx}: version `{version}' not found (required by {App})";

    [Fact]
    public void Missing_GLIBCXX_3_4_32_names_the_version_the_files_and_the_fix()
    {
        var facts = new NativeLoadFacts(App, [new("libstdc++.so.6", "GLIBCXX_3.4.32", IsWeak: false)], LoaderError("GLIBCXX_3.4.32"), TorchSharpSaid);

        string message = NativeLoadDiagnosis.BuildMessage(facts);

        message.Should().Contain($"{App} requires symbol version GLIBCXX_3.4.32, which {LibStdCxx} on this system does not provide")
            .And.Contain("GCC 13")
            .And.Contain("misleading")
            .And.Contain("unpatched")
            .And.Contain("SkipLibTorchSharpPatch")
            .And.Contain("build/QuietStar.Core.targets")
            .And.Contain("Loader error: Unable to load shared library")
            .And.EndWith("TorchSharp said: " + TorchSharpSaid);
    }

    [Fact]
    public void A_weak_requirement_is_not_called_unpatched()
    {
        var facts = new NativeLoadFacts(App, [new("libstdc++.so.6", "GLIBCXX_3.4.32", IsWeak: true)], LoaderError("GLIBCXX_3.4.32"), TorchSharpSaid);

        NativeLoadDiagnosis.BuildMessage(facts).Should().NotContain("unpatched").And.Contain("GLIBCXX_3.4.32");
    }

    [Fact]
    public void A_version_the_build_step_does_not_cover_asks_for_a_newer_system()
    {
        var facts = new NativeLoadFacts(App, [], LoaderError("GLIBC_2.38").Replace(LibStdCxx, "/lib/x86_64-linux-gnu/libc.so.6"), TorchSharpSaid);

        NativeLoadDiagnosis.BuildMessage(facts).Should().Contain("requires symbol version GLIBC_2.38")
            .And.Contain("only covers GLIBCXX_3.4.32")
            .And.Contain("newer glibc")
            .And.NotContain("SkipLibTorchSharpPatch");
    }

    [Fact]
    public void No_native_library_next_to_the_app_asks_for_a_backend_package()
    {
        NativeLoadDiagnosis.BuildMessage(new NativeLoadFacts(null, [], null, TorchSharpSaid))
            .Should().Contain("libLibTorchSharp.so was not found next to the application")
            .And.Contain("libtorch-cpu-linux-x64");
    }

    [Fact]
    public void Another_loader_error_is_passed_on()
    {
        const string error = "libtorch_cpu.so: cannot open shared object file: No such file or directory";

        NativeLoadDiagnosis.BuildMessage(new NativeLoadFacts(App, [], error, TorchSharpSaid))
            .Should().Contain($"the dynamic loader refused {App}").And.Contain("Loader error: " + error);
    }

    [Fact]
    public void Reads_the_version_needs_and_weak_flags_of_an_ELF_file()
    {
        byte[] elf = SyntheticElf(("libstdc++.so.6", [("GLIBCXX_3.4.32", 0), ("GLIBCXX_3.4.30", 0)]), ("libc.so.6", [("GLIBC_2.2.5", 2)]));

        ElfVersionNeeds.Read(elf).Should().Equal(
            new ElfVersionNeed("libstdc++.so.6", "GLIBCXX_3.4.32", false),
            new ElfVersionNeed("libstdc++.so.6", "GLIBCXX_3.4.30", false),
            new ElfVersionNeed("libc.so.6", "GLIBC_2.2.5", true));
    }

    [Fact]
    public void A_file_that_is_not_ELF64_has_no_needs_and_a_truncated_one_is_invalid()
    {
        ElfVersionNeeds.Read(Encoding.ASCII.GetBytes("#!/bin/sh\necho not an ELF file\n")).Should().BeEmpty();

        byte[] elf = SyntheticElf(("libstdc++.so.6", [("GLIBCXX_3.4.32", 0)]));
        var truncated = () => ElfVersionNeeds.Read(elf.AsSpan(0, elf.Length - 100));
        truncated.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void The_loader_error_of_a_file_that_cannot_load_names_it()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var folder = new TempFolder();
        string path = folder.File("libLibTorchSharp.so");
        File.WriteAllBytes(path, SyntheticElf(("libstdc++.so.6", [("GLIBCXX_3.4.32", 0)])));

        TorchNative.TryLoad(path).Should().Contain(path);
    }

    [Fact]
    public void The_build_step_marked_the_test_apps_GLIBCXX_3_4_32_requirement_weak()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string? path = TorchNative.Locate();

        path.Should().NotBeNull("the test app references libtorch-cpu-linux-x64");
        ElfVersionNeeds.ReadFile(path!).Should().ContainSingle(n => n.Version == "GLIBCXX_3.4.32")
            .Which.IsWeak.Should().BeTrue("buildTransitive/QuietStar.Core.targets runs after every build");
    }

    /// <summary>A little-endian ELF64 file with a <c>.dynstr</c> and a <c>.gnu.version_r</c> section only.</summary>
    private static byte[] SyntheticElf(params (string Library, (string Version, ushort Flags)[] Versions)[] needs)
    {
        var strings = new MemoryStream();
        strings.WriteByte(0);
        int AddString(string s)
        {
            int at = (int)strings.Length;
            strings.Write(Encoding.ASCII.GetBytes(s + "\0"));
            return at;
        }

        var verneed = new List<byte>();
        for (int i = 0; i < needs.Length; i++)
        {
            var (library, versions) = needs[i];
            int size = 16 + (16 * versions.Length);
            verneed.AddRange(Entry(1, (ushort)versions.Length, (uint)AddString(library), 16, i == needs.Length - 1 ? 0u : (uint)size));
            for (int a = 0; a < versions.Length; a++)
            {
                verneed.AddRange(Entry(0, versions[a].Flags, 0, (uint)AddString(versions[a].Version), a == versions.Length - 1 ? 0u : 16u, hashFirst: true));
            }
        }

        byte[] dynstr = strings.ToArray();
        int dynstrAt = 64, verneedAt = dynstrAt + dynstr.Length, shoff = verneedAt + verneed.Count;
        var file = new byte[shoff + (3 * 64)];
        byte[] ident = [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1];
        ident.CopyTo(file, 0);
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(0x28), shoff);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x3A), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(0x3C), 3);
        dynstr.CopyTo(file, dynstrAt);
        verneed.ToArray().CopyTo(file, verneedAt);
        Section(file.AsSpan(shoff + 64), type: 3, offset: dynstrAt, size: dynstr.Length, link: 0, info: 0);                  // SHT_STRTAB
        Section(file.AsSpan(shoff + 128), type: 0x6ffffffe, offset: verneedAt, size: verneed.Count, link: 1, info: (uint)needs.Length); // SHT_GNU_verneed
        return file;
    }

    /// <summary>A 16-byte Verneed (version, count, file, aux, next) or, with <paramref name="hashFirst"/>, Vernaux (hash, flags, other, name, next) entry.</summary>
    private static byte[] Entry(ushort a, ushort b, uint c, uint d, uint next, bool hashFirst = false)
    {
        var entry = new byte[16];
        if (hashFirst)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(0), 0x0a);
            BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(4), b);
            BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(6), a);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(8), d);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(0), a);
            BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(2), b);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(4), c);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(8), d);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(12), next);
        return entry;
    }

    private static void Section(Span<byte> header, uint type, int offset, int size, uint link, uint info)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], type);
        BinaryPrimitives.WriteInt64LittleEndian(header[0x18..], offset);
        BinaryPrimitives.WriteInt64LittleEndian(header[0x20..], size);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x28..], link);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x2C..], info);
    }
}
