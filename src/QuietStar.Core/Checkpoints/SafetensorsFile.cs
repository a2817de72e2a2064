using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace QuietStar.Core.Checkpoints;

/// <summary>
/// Writes and reads one <c>.safetensors</c> file: an 8-byte little-endian header length, a JSON header padded with spaces to a
/// multiple of 8 bytes, then the tensors' bytes back to back. The header carries <c>__metadata__ {"format": "pt"}</c>,
/// which <c>transformers</c> checks when loading. Reads such files too (any writer's), checking the header against the file.
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
    /// Reads the tensors of <paramref name="path"/> into CPU tensors. Every tensor is allocated on the CPU explicitly, not
    /// on TorchSharp's default device (an application that sets a CUDA default would otherwise get tensors it cannot copy
    /// bytes into), and the header is checked against the file before a byte of data is read.
    /// </summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <param name="keys">Tensors to keep, or null for all.</param>
    /// <returns>The tensors by name, in their stored dtype on the CPU. The caller owns them.</returns>
    /// <exception cref="InvalidDataException">The file is too short, its header length exceeds the file, or it is malformed.</exception>
    public static Dictionary<string, Tensor> Load(string path, IReadOnlyCollection<string>? keys = null)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferBytes);
        long dataStart = sizeof(ulong) + ReadHeaderLength(path, stream);
        var entries = ReadEntries(path, stream, dataStart);
        var wanted = keys is null ? null : keys as IReadOnlySet<string> ?? keys.ToHashSet(StringComparer.Ordinal);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in entries.Where(e => wanted is null || wanted.Contains(e.Name)).OrderBy(e => e.Begin))
            {
                var tensor = empty(entry.Shape, dtype: entry.DType, device: CPU);
                tensors.Add(entry.Name, tensor);
                stream.Position = dataStart + entry.Begin;
                tensor.ReadBytesFromStream(stream, CopyBufferBytes);
            }
        }
        catch (Exception e)
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }

            if (e is EndOfStreamException)
            {
                throw new InvalidDataException($"'{path}' is not a readable safetensors file: it ends inside a tensor's data.", e);
            }

            throw;
        }

        return tensors;
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

    /// <summary>Reads the 8-byte header length and checks that the header fits the file.</summary>
    private static long ReadHeaderLength(string path, Stream stream)
    {
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

        return (long)headerBytes;
    }

    /// <summary>One tensor's header entry: name, dtype, shape and its byte range within the data section.</summary>
    private sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    /// <summary>Parses the JSON header that follows the length field and checks every entry against the data section.</summary>
    private static List<Entry> ReadEntries(string path, Stream stream, long dataStart)
    {
        var json = new byte[dataStart - sizeof(ulong)];
        stream.ReadExactly(json);
        long dataBytes = stream.Length - dataStart;
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var header = JsonDocument.Parse(json);
            if (header.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"'{path}' is not a readable safetensors file: its header is not a JSON object.");
            }

            foreach (var property in header.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    continue;
                }

                var value = property.Value;
                string dtypeName = value.GetProperty("dtype").GetString() ?? "";
                var dtype = ParseDtype(dtypeName) ?? throw new InvalidDataException(
                    $"'{path}': tensor '{property.Name}' has dtype '{dtypeName}', which this reader does not know (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL).");
                long[] shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                long[] offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                if (!names.Add(property.Name))
                {
                    throw new InvalidDataException($"'{path}': tensor '{property.Name}' appears twice in the header.");
                }

                bool negative = shape.Any(d => d < 0);
                long elements = negative ? -1 : shape.Aggregate(1L, (n, d) => checked(n * d));
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataBytes || elements < 0
                    || offsets[1] - offsets[0] != checked(elements * ElementSize(dtype)))
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                        $"'{path}': tensor '{property.Name}' ({dtypeName} [{string.Join(", ", shape)}]) has data_offsets [{string.Join(", ", offsets)}], which do not fit its size or the {dataBytes:N0} data bytes of the file."));
                }

                entries.Add(new Entry(property.Name, dtype, shape, offsets[0], offsets[1]));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"'{path}' is not a readable safetensors file: its header is malformed ({e.Message}).", e);
        }

        return entries;
    }

    private static ScalarType? ParseDtype(string name) => name switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => null,
    };

    private static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

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
