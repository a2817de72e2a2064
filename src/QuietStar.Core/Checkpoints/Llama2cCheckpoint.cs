using System.Globalization;
using System.Runtime.InteropServices;
using QuietStar.Core.Model;
using static QuietStar.Core.Checkpoints.LlamaWeightNames;
using static TorchSharp.torch;

namespace QuietStar.Core.Checkpoints;

/// <summary>
/// Reads Andrej Karpathy's llama2.c checkpoints (legacy version 0 <c>.bin</c> files, e.g. <c>stories260K.bin</c>)
/// into Hugging Face Llama parameter names, converting the rotary layout from Meta's interleaved pairs to
/// Hugging Face's rotate-half.
/// </summary>
/// <remarks>
/// Format: 7 little-endian int32 (<c>dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len</c>), then
/// float32 arrays <c>token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, freq_cis_real,
/// freq_cis_imag</c> and, when <c>vocab_size</c> is negative, a separate classifier <c>wcls</c>.
/// </remarks>
internal static class Llama2cCheckpoint
{
    private const int ReadBufferBytes = 1 << 16;

    /// <summary>Reads a llama2.c checkpoint file.</summary>
    /// <param name="path">Path of the <c>.bin</c> file.</param>
    /// <returns>The configuration and the CPU float32 weights, keyed by Hugging Face Llama names. The caller owns the tensors.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is invalid, the file size does not match it, or a weight holds NaN or an infinity; the message names the file (and the tensor).</exception>
    public static (TransformerConfig Config, Dictionary<string, Tensor> Weights) Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"llama2.c checkpoint '{path}' does not exist.", path);
        }

        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads a llama2.c checkpoint from a seekable stream positioned at its first byte.</summary>
    /// <param name="stream">The checkpoint bytes; must support seeking so the size can be checked before reading.</param>
    /// <param name="sourceName">Name used in error messages (for example the file name); defaults to "llama2.c stream".</param>
    /// <returns>The configuration and the CPU float32 weights, keyed by Hugging Face Llama names. The caller owns the tensors.</returns>
    /// <exception cref="ArgumentException">The stream cannot seek.</exception>
    /// <exception cref="InvalidDataException">The header is invalid, the stream length does not match it, or a weight holds NaN or an infinity (the message names it).</exception>
    public static (TransformerConfig Config, Dictionary<string, Tensor> Weights) Read(Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("The llama2.c reader needs a seekable stream to check its size before reading.", nameof(stream));
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("llama2.c checkpoints are little-endian; this reader needs a little-endian machine.");
        }

        string source = sourceName ?? "llama2.c stream";
        long available = stream.Length - stream.Position;
        var header = ReadHeader(stream, source, available);
        if (available != header.ExpectedFileBytes)
        {
            throw new InvalidDataException(string.Create(
                CultureInfo.InvariantCulture,
                $"'{source}' has {available:N0} bytes, but its header ({header}) implies {header.ExpectedFileBytes:N0} bytes."));
        }

        var weights = ReadWeights(stream, header);
        try
        {
            FiniteWeights.Check(source, weights);
        }
        catch
        {
            foreach (var tensor in weights.Values)
            {
                tensor.Dispose();
            }

            throw;
        }

        return (header.ToConfig(), weights);
    }

    private static Llama2cHeader ReadHeader(Stream stream, string source, long available)
    {
        if (available < Llama2cHeader.Bytes)
        {
            throw new InvalidDataException(string.Create(
                CultureInfo.InvariantCulture,
                $"'{source}' has {available:N0} bytes, too short for the {Llama2cHeader.Bytes}-byte llama2.c header."));
        }

        var fields = new int[7];
        stream.ReadExactly(MemoryMarshal.AsBytes(fields.AsSpan()));
        return Llama2cHeader.Parse(fields, source);
    }

    private static Dictionary<string, Tensor> ReadWeights(Stream stream, Llama2cHeader header)
    {
        using var scope = NewDisposeScope();
        long h = header.Dim, i = header.HiddenDim, kv = header.KvDim;
        var weights = new Dictionary<string, Tensor> { [Embedding] = ReadFloats(stream, header.Vocab, h) }; // [V, H]

        void ReadLayers(string suffix, Func<Tensor, Tensor> convert, params long[] shape)
        {
            for (int layer = 0; layer < header.Layers; layer++)
            {
                weights[Layer(layer, suffix)] = convert(ReadFloats(stream, shape));
            }
        }

        Tensor AsIs(Tensor t) => t;
        ReadLayers(InputNorm, AsIs, h);                                                           // rms_att [H]
        ReadLayers($"{QProj}.weight", wq => InterleavedToRotateHalf(wq, header.Heads), h, h);    // wq [nH*D, H]
        ReadLayers($"{KProj}.weight", wk => InterleavedToRotateHalf(wk, header.KvHeads), kv, h); // wk [nKV*D, H]
        ReadLayers($"{VProj}.weight", AsIs, kv, h);                                              // wv [nKV*D, H]
        ReadLayers($"{OProj}.weight", AsIs, h, h);                                               // wo [H, nH*D]
        ReadLayers(PostAttentionNorm, AsIs, h);                                                  // rms_ffn [H]
        ReadLayers($"{GateProj}.weight", AsIs, i, h);                                            // w1 [I, H]
        ReadLayers($"{DownProj}.weight", AsIs, h, i);                                            // w2 [H, I]
        ReadLayers($"{UpProj}.weight", AsIs, i, h);                                              // w3 [I, H]
        weights[FinalNorm] = ReadFloats(stream, h);                                              // rms_final [H]
        stream.Seek((long)header.SeqLen * header.HeadSize * sizeof(float), SeekOrigin.Current); // freq_cis_real/imag [S, D/2] each
        if (!header.SharedClassifier)
        {
            weights[LmHead] = ReadFloats(stream, header.Vocab, h);                               // wcls [V, H]
        }

        foreach (var tensor in weights.Values)
        {
            tensor.MoveToOuterDisposeScope();
        }

        return weights;
    }

    /// <summary>
    /// Reorders the rows of a query or key projection from Meta's RoPE layout, which rotates adjacent pairs
    /// (2j, 2j+1) of each head, to Hugging Face's rotate-half layout, which rotates (j, j + D/2).
    /// </summary>
    /// <param name="weight">[heads*D, H] projection in interleaved layout.</param>
    /// <param name="heads">Number of heads the rows are split into (query or key/value heads).</param>
    /// <returns>[heads*D, H] projection in rotate-half layout.</returns>
    internal static Tensor InterleavedToRotateHalf(Tensor weight, int heads)
    {
        long rows = weight.shape[0], columns = weight.shape[1];
        long headDim = rows / heads;
        return weight
            .view(heads, headDim / 2, 2, columns) // [nH, D/2, 2, H]: pair index, then member of the pair
            .transpose(1, 2)                      // [nH, 2, D/2, H]: all first members, then all second members
            .reshape(rows, columns);              // [nH*D, H]
    }

    /// <summary>Reads little-endian float32 values straight into a new CPU tensor of the given shape.</summary>
    private static Tensor ReadFloats(Stream stream, params long[] shape)
    {
        var result = empty(shape, ScalarType.Float32, CPU);
        result.ReadBytesFromStream(stream, ReadBufferBytes);
        return result;
    }
}
