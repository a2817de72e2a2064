namespace QuietStar.Core.Tests.Checkpoints;

/// <summary>
/// A llama2.c legacy file built in memory whose k-th float is k, so every array can be located by its first value.
/// </summary>
internal sealed class SyntheticLlama2c
{
    private readonly Dictionary<string, int> offsets = [];

    public SyntheticLlama2c(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen, bool shared)
    {
        int kvDim = dim / heads * kvHeads;
        (string Name, int Floats)[] arrays =
        [
            ("token_embedding", vocab * dim), ("rms_att", layers * dim), ("wq", layers * dim * dim),
            ("wk", layers * kvDim * dim), ("wv", layers * kvDim * dim), ("wo", layers * dim * dim),
            ("rms_ffn", layers * dim), ("w1", layers * hidden * dim), ("w2", layers * dim * hidden),
            ("w3", layers * hidden * dim), ("rms_final", dim), ("freq_cis", seqLen * (dim / heads)),
            ("wcls", shared ? 0 : vocab * dim),
        ];

        int total = 0;
        foreach (var (name, floats) in arrays)
        {
            offsets[name] = total;
            total += floats;
        }

        using var buffer = new MemoryStream();
        using var writer = new BinaryWriter(buffer);
        foreach (int field in new[] { dim, hidden, layers, heads, kvHeads, shared ? vocab : -vocab, seqLen })
        {
            writer.Write(field);
        }

        for (int k = 0; k < total; k++)
        {
            writer.Write((float)k);
        }

        writer.Flush();
        Bytes = buffer.ToArray();
    }

    public byte[] Bytes { get; }

    /// <summary>Index (and value) of the first float of a named array.</summary>
    public float Offset(string array) => offsets[array];
}
