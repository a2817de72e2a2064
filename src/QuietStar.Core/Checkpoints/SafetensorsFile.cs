using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;
using PyBridgeSafetensors = TorchSharp.PyBridge.Safetensors;

namespace QuietStar.Core.Checkpoints;

/// <summary>
/// Writes one <c>.safetensors</c> file: an 8-byte little-endian header length, a JSON header padded with spaces to a
/// multiple of 8 bytes, then the tensors' bytes back to back. The header carries <c>__metadata__ {"format": "pt"}</c>,
/// which <c>transformers</c> checks when loading. Reading goes through TorchSharp.PyBridge after a check of the header length.
/// </summary>
internal static class SafetensorsFile
{
    public const string MetadataKey = "__metadata__";

    private const int CopyBufferBytes = 1 << 20;

    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not Float32, Float16 or BFloat16.</exception>
    public static void EnsureSupported(ScalarType dtype, string paramName)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
        {
            throw new ArgumentException($"dtype {dtype} is not supported; use Float32, Float16 or BFloat16.", paramName);
        }
    }

    /// <summary>Bytes one element of a supported <paramref name="dtype"/> takes in a file.</summary>
    public static int ElementBytes(ScalarType dtype) => dtype == ScalarType.Float32 ? 4 : 2;

    /// <summary>Bytes <paramref name="tensor"/> takes once stored as <paramref name="dtype"/>.</summary>
    public static long StoredBytes(Tensor tensor, ScalarType dtype) => tensor.NumberOfElements * ElementBytes(dtype);

    /// <summary>
    /// Loads the tensors of <paramref name="path"/> through TorchSharp.PyBridge, after checking that the header length
    /// fits the file (PyBridge would report a longer one as a JSON error).
    /// </summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <param name="keys">Tensors to keep, or null for all.</param>
    /// <returns>The tensors by name, in their stored dtype on the CPU. The caller owns them.</returns>
    /// <exception cref="InvalidDataException">The file is too short, its header length exceeds the file, or it is malformed.</exception>
    public static Dictionary<string, Tensor> Load(string path, List<string>? keys = null)
    {
        CheckHeaderLength(path);
        try
        {
            return PyBridgeSafetensors.LoadStateDict(path, keys);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or NotImplementedException or ArgumentException)
        {
            throw new InvalidDataException($"'{path}' is not a readable safetensors file: {e.Message}", e);
        }
    }

    /// <summary>Writes the tensors, in order, converted to <paramref name="dtype"/> one at a time on the CPU.</summary>
    public static void Write(Stream stream, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, ScalarType dtype)
    {
        byte[] header = BuildHeader(tensors, dtype);
        Span<byte> headerLength = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(headerLength, (ulong)header.Length);
        stream.Write(headerLength);
        stream.Write(header);
        foreach (var (_, tensor) in tensors)
        {
            using var scope = NewDisposeScope();
            tensor.detach().cpu().to_type(dtype).contiguous().WriteBytesToStream(stream, CopyBufferBytes);
        }
    }

    private static void CheckHeaderLength(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long size = stream.Length;
        if (size < sizeof(ulong))
        {
            throw new InvalidDataException(
                $"'{path}' is not a readable safetensors file: it has {size} byte(s), fewer than the 8-byte header length it must start with.");
        }

        Span<byte> field = stackalloc byte[sizeof(ulong)];
        stream.ReadExactly(field);
        ulong headerBytes = BinaryPrimitives.ReadUInt64LittleEndian(field);
        long following = size - sizeof(ulong);
        if (headerBytes > (ulong)following)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"'{path}' is not a readable safetensors file: its header length ({headerBytes:N0} bytes) exceeds the {following:N0} bytes that follow it. The file is truncated or not a safetensors file."));
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<KeyValuePair<string, Tensor>> tensors, ScalarType dtype)
    {
        var header = new JsonObject { [MetadataKey] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            long end = offset + StoredBytes(tensor, dtype);
            header[name] = new JsonObject
            {
                ["dtype"] = DtypeName(dtype),
                ["shape"] = new JsonArray(tensor.shape.Select(size => (JsonNode)size).ToArray()),
                ["data_offsets"] = new JsonArray(offset, end),
            };
            offset = end;
        }

        string json = header.ToJsonString();
        int jsonBytes = Encoding.UTF8.GetByteCount(json);
        int paddedBytes = (jsonBytes + 7) / 8 * 8;
        return Encoding.UTF8.GetBytes(json + new string(' ', paddedBytes - jsonBytes));
    }

    private static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        _ => "BF16",
    };
}
