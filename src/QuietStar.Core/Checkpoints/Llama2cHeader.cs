using QuietStar.Core.Model;

namespace QuietStar.Core.Checkpoints;

/// <summary>
/// The seven int32 header fields of a llama2.c legacy (version 0) checkpoint, validated on construction.
/// </summary>
internal sealed record Llama2cHeader
{
    /// <summary>Size of the header in bytes (7 × int32).</summary>
    public const int Bytes = 7 * sizeof(int);

    /// <summary>Upper bound for any width or length; anything larger is treated as a corrupt header.</summary>
    private const int MaxDimension = 1 << 20;

    /// <summary>Upper bound for the layer count.</summary>
    private const int MaxLayers = 1 << 12;

    /// <summary>First int32 of llama2.c's newer (version ≥ 1) exports: the bytes "ak42".</summary>
    private const int VersionedMagic = 0x616b3432;

    private Llama2cHeader(int[] fields)
    {
        (Dim, HiddenDim, Layers, Heads, KvHeads, SignedVocab, SeqLen) =
            (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]);
    }

    public int Dim { get; }

    public int HiddenDim { get; }

    public int Layers { get; }

    public int Heads { get; }

    public int KvHeads { get; }

    /// <summary>Vocabulary size as stored: positive when the classifier is tied to the embedding, negative otherwise.</summary>
    public int SignedVocab { get; }

    public int SeqLen { get; }

    public int Vocab => Math.Abs(SignedVocab);

    public bool SharedClassifier => SignedVocab > 0;

    public int HeadSize => Dim / Heads;

    public int KvDim => KvHeads * HeadSize;

    /// <summary>The exact size of a file with this header: header, parameters, RoPE tables and optional classifier.</summary>
    public long ExpectedFileBytes
    {
        get
        {
            long h = Dim, i = HiddenDim, l = Layers, v = Vocab, kv = KvDim;
            long floats = checked(
                v * h                            // token_embedding [V, H]
                + 2 * l * h                      // rms_att, rms_ffn [L, H]
                + 2 * l * h * h                  // wq, wo [L, H, H]
                + 2 * l * kv * h                 // wk, wv [L, KV, H]
                + 3 * l * i * h                  // w1, w3 [L, I, H], w2 [L, H, I]
                + h                              // rms_final [H]
                + (long)SeqLen * HeadSize        // freq_cis_real, freq_cis_imag [S, D/2] each
                + (SharedClassifier ? 0 : v * h)); // wcls [V, H]
            return Bytes + (floats * sizeof(float));
        }
    }

    /// <summary>Validates the raw header fields of <paramref name="source"/>.</summary>
    /// <exception cref="InvalidDataException">A field is out of range or the fields do not fit together.</exception>
    public static Llama2cHeader Parse(int[] fields, string source)
    {
        if (fields[0] == VersionedMagic)
        {
            throw new InvalidDataException(
                $"'{source}' is a llama2.c version {fields[1]} export (magic \"ak42\"); only the legacy version 0 format is supported.");
        }

        var header = new Llama2cHeader(fields);
        header.Check(source);
        return header;
    }

    public TransformerConfig ToConfig() => new()
    {
        ModelType = "llama",
        VocabSize = Vocab,
        HiddenSize = Dim,
        IntermediateSize = HiddenDim,
        NumLayers = Layers,
        NumAttentionHeads = Heads,
        NumKeyValueHeads = KvHeads,
        MaxPositionEmbeddings = SeqLen,
        RopeTheta = 10000.0,
        RmsNormEps = 1e-5,
        TieWordEmbeddings = SharedClassifier,
        BosTokenId = 1,
        EosTokenId = 2,
    };

    public override string ToString() =>
        $"dim={Dim}, hidden_dim={HiddenDim}, n_layers={Layers}, n_heads={Heads}, n_kv_heads={KvHeads}, vocab_size={SignedVocab}, seq_len={SeqLen}";

    private void Check(string source)
    {
        (string Name, long Value, int Max)[] ranged =
        [
            ("dim", Dim, MaxDimension), ("hidden_dim", HiddenDim, MaxDimension), ("n_layers", Layers, MaxLayers),
            ("n_heads", Heads, MaxDimension), ("n_kv_heads", KvHeads, MaxDimension),
            ("|vocab_size|", Math.Abs((long)SignedVocab), MaxDimension), ("seq_len", SeqLen, MaxDimension),
        ];
        foreach (var (name, value, max) in ranged)
        {
            if (value <= 0 || value > max)
            {
                throw Invalid(source, $"expected {name} in 1..{max}, found {value}");
            }
        }

        if (Dim % Heads != 0 || HeadSize % 2 != 0)
        {
            throw Invalid(source, $"expected dim divisible by n_heads into an even head size, found dim={Dim}, n_heads={Heads}");
        }

        if (Heads % KvHeads != 0)
        {
            throw Invalid(source, $"expected n_heads divisible by n_kv_heads, found n_heads={Heads}, n_kv_heads={KvHeads}");
        }
    }

    private static InvalidDataException Invalid(string source, string problem) =>
        new($"'{source}' does not have a valid llama2.c header: {problem}.");
}
