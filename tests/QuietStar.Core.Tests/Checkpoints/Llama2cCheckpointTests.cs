using System.Runtime.InteropServices;
using FluentAssertions;
using QuietStar.Core.Checkpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Checkpoints;

public sealed class Llama2cCheckpointTests
{
    private const int Dim = 64, Layers = 5, Heads = 8, KvHeads = 4, HeadSize = 8, Vocab = 512;

    internal static readonly string Stories = Path.Combine(AppContext.BaseDirectory, "TestData", "stories260k", "stories260K.bin");

    [Fact]
    public void Reads_stories260K_config_and_every_weight_with_its_shape()
    {
        var (config, weights) = Llama2cCheckpoint.Read(Stories);
        try
        {
            config.Should().BeEquivalentTo(new
            {
                ModelType = "llama", VocabSize = 512, HiddenSize = 64, IntermediateSize = 172, NumLayers = 5,
                NumAttentionHeads = 8, NumKeyValueHeads = 4, MaxPositionEmbeddings = 512, RopeTheta = 10000.0,
                RmsNormEps = 1e-5, TieWordEmbeddings = true, AttentionBias = false, BosTokenId = 1, EosTokenId = 2,
            });
            weights.Should().HaveCount(1 + (5 * 9) + 1).And.NotContainKey("lm_head.weight");
            weights["model.embed_tokens.weight"].shape.Should().Equal(512, 64);
            weights["model.layers.4.self_attn.k_proj.weight"].shape.Should().Equal(32, 64);
            weights["model.layers.2.mlp.down_proj.weight"].shape.Should().Equal(64, 172);
            weights.Values.Should().OnlyContain(t => t.dtype == ScalarType.Float32 && t.device_type == DeviceType.CPU);
            FluentActions.Invoking(() => SafetensorsWeights.ValidateAgainst(config, weights)).Should().NotThrow();
        }
        finally
        {
            TinyWeights.Dispose(weights);
        }
    }

    [Fact]
    public void Permuted_rows_with_rotate_half_rope_score_like_raw_rows_with_interleaved_rope()
    {
        float[] rawWq = RawFloats((Vocab * Dim) + (Layers * Dim), Dim * Dim);                          // layer 0 wq [64, 64]
        float[] rawWk = RawFloats((Vocab * Dim) + (Layers * Dim) + (Layers * Dim * Dim), 32 * Dim);   // layer 0 wk [32, 64]
        var (_, weights) = Llama2cCheckpoint.Read(Stories);
        float[] wq = weights["model.layers.0.self_attn.q_proj.weight"].data<float>().ToArray();
        float[] wk = weights["model.layers.0.self_attn.k_proj.weight"].data<float>().ToArray();
        TinyWeights.Dispose(weights);

        var random = new Random(7);
        double[] queryInput = Enumerable.Range(0, Dim).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[] keyInput = Enumerable.Range(0, Dim).Select(_ => random.NextDouble() - 0.5).ToArray();
        const int queryPosition = 5, keyPosition = 2;
        double largestControlGap = 0;
        for (int head = 0; head < Heads; head++)
        {
            int kvHead = head / (Heads / KvHeads);
            double interleaved = Dot(
                InterleavedRope(HeadProjection(rawWq, head, queryInput), queryPosition),
                InterleavedRope(HeadProjection(rawWk, kvHead, keyInput), keyPosition));
            double rotateHalf = Dot(
                RotateHalfRope(HeadProjection(wq, head, queryInput), queryPosition),
                RotateHalfRope(HeadProjection(wk, kvHead, keyInput), keyPosition));
            double rotateHalfOnRawRows = Dot(
                RotateHalfRope(HeadProjection(rawWq, head, queryInput), queryPosition),
                RotateHalfRope(HeadProjection(rawWk, kvHead, keyInput), keyPosition));

            rotateHalf.Should().BeApproximately(interleaved, 1e-9, $"head {head}");
            largestControlGap = Math.Max(largestControlGap, Math.Abs(rotateHalfOnRawRows - interleaved));
        }

        largestControlGap.Should().BeGreaterThan(1e-3, "without the permutation the two RoPE layouts must disagree");
    }

    [Fact]
    public void Forward_pass_on_the_converted_weights_reproduces_the_reference_logits()
    {
        var reference = System.Text.Json.JsonDocument.Parse(
            File.ReadAllText(Path.Combine(Path.GetDirectoryName(Stories)!, "reference_greedy.json"))).RootElement;
        var (config, weights) = Llama2cCheckpoint.Read(Stories);
        using var scope = NewDisposeScope();

        var logits = ReferenceLlama.Logits(config, weights, [1, 403]); // [2, V]

        Reference(reference, "logits_pos0_after_BOS").allclose(logits[0], rtol: 0, atol: 1e-3).Should().BeTrue();
        Reference(reference, "logits_pos1_after_BOS_then_403").allclose(logits[1], rtol: 0, atol: 1e-3).Should().BeTrue();
        TinyWeights.Dispose(weights);
    }

    [Fact]
    public void Negative_vocab_size_reads_the_separate_classifier_after_the_rotary_tables_and_maps_every_array()
    {
        var file = new SyntheticLlama2c(dim: 8, hidden: 12, layers: 1, heads: 2, kvHeads: 1, vocab: 6, seqLen: 4, shared: false);
        using var stream = new MemoryStream(file.Bytes);

        var (config, weights) = Llama2cCheckpoint.Read(stream, "synthetic.bin");

        config.TieWordEmbeddings.Should().BeFalse();
        config.VocabSize.Should().Be(6);
        First(weights["model.embed_tokens.weight"]).Should().Be(file.Offset("token_embedding"));
        First(weights["lm_head.weight"]).Should().Be(file.Offset("wcls"));
        First(weights["model.layers.0.input_layernorm.weight"]).Should().Be(file.Offset("rms_att"));
        First(weights["model.layers.0.self_attn.v_proj.weight"]).Should().Be(file.Offset("wv"));
        First(weights["model.layers.0.self_attn.o_proj.weight"]).Should().Be(file.Offset("wo"));
        First(weights["model.layers.0.post_attention_layernorm.weight"]).Should().Be(file.Offset("rms_ffn"));
        First(weights["model.layers.0.mlp.gate_proj.weight"]).Should().Be(file.Offset("w1"));
        First(weights["model.layers.0.mlp.down_proj.weight"]).Should().Be(file.Offset("w2"));
        First(weights["model.layers.0.mlp.up_proj.weight"]).Should().Be(file.Offset("w3"));
        First(weights["model.norm.weight"]).Should().Be(file.Offset("rms_final"));
        // Head size 4: rotate-half row 1 is interleaved row 2 (first member of pair 1); row 2 is row 1 (second member of pair 0).
        var q = weights["model.layers.0.self_attn.q_proj.weight"];
        q[1, 0].item<float>().Should().Be(file.Offset("wq") + (2 * 8));
        q[2, 0].item<float>().Should().Be(file.Offset("wq") + (1 * 8));
        TinyWeights.Dispose(weights);
    }

    [Fact]
    public void Truncated_file_is_rejected_before_reading_naming_file_expected_and_found_bytes()
    {
        using var folder = new TempFolder();
        string path = folder.File("truncated.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(Stories)[..1_000_000]);

        FluentActions.Invoking(() => Llama2cCheckpoint.Read(path)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(path).And.Contain("1,056,540").And.Contain("1,000,000");
    }

    [Theory]
    [InlineData(0, 0, "dim in 1..")]
    [InlineData(0, 1 << 30, "dim in 1..")]
    [InlineData(3, 7, "divisible by n_heads")]
    [InlineData(4, 3, "divisible by n_kv_heads")]
    [InlineData(5, -512, "1,187,612")]
    [InlineData(0, 0x616b3432, "version")]
    public void Wrong_header_is_rejected_with_a_message_naming_the_file_and_problem(int field, int value, string expected)
    {
        using var folder = new TempFolder();
        string path = folder.File("bad-header.bin");
        byte[] bytes = File.ReadAllBytes(Stories);
        BitConverter.GetBytes(value).CopyTo(bytes, field * sizeof(int));
        File.WriteAllBytes(path, bytes);

        FluentActions.Invoking(() => Llama2cCheckpoint.Read(path)).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(path).And.Contain(expected);
    }

    [Fact]
    public void File_shorter_than_the_header_is_rejected()
    {
        using var stream = new MemoryStream(new byte[10]);

        FluentActions.Invoking(() => Llama2cCheckpoint.Read(stream, "tiny.bin")).Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain("tiny.bin").And.Contain("28-byte");
    }

    [Fact]
    public void Missing_file_throws_FileNotFoundException_naming_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.bin");

        FluentActions.Invoking(() => Llama2cCheckpoint.Read(path)).Should().Throw<FileNotFoundException>()
            .Which.FileName.Should().Be(path);
    }

    private static float[] RawFloats(long floatOffset, int count)
    {
        using var file = File.OpenRead(Stories);
        file.Seek(28 + (floatOffset * sizeof(float)), SeekOrigin.Begin);
        var bytes = new byte[count * sizeof(float)];
        file.ReadExactly(bytes);
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    /// <summary>The <paramref name="head"/>-th D-row block of a row-major [rows, 64] matrix applied to <paramref name="input"/>: [D].</summary>
    private static double[] HeadProjection(float[] matrix, int head, double[] input) =>
        Enumerable.Range(head * HeadSize, HeadSize)
            .Select(row => Enumerable.Range(0, Dim).Sum(column => matrix[(row * Dim) + column] * input[column]))
            .ToArray();

    /// <summary>Meta / llama2.c RoPE: rotates adjacent pairs (2j, 2j+1) by pos·θ^(−2j/D).</summary>
    private static double[] InterleavedRope(double[] v, int position)
    {
        var result = new double[v.Length];
        for (int i = 0; i < v.Length; i += 2)
        {
            double angle = position * Math.Pow(10000, -(double)i / v.Length);
            result[i] = (v[i] * Math.Cos(angle)) - (v[i + 1] * Math.Sin(angle));
            result[i + 1] = (v[i] * Math.Sin(angle)) + (v[i + 1] * Math.Cos(angle));
        }

        return result;
    }

    /// <summary>Hugging Face RoPE: rotates (j, j + D/2) by pos·θ^(−2j/D).</summary>
    private static double[] RotateHalfRope(double[] v, int position)
    {
        int half = v.Length / 2;
        var result = new double[v.Length];
        for (int j = 0; j < half; j++)
        {
            double angle = position * Math.Pow(10000, -2.0 * j / v.Length);
            result[j] = (v[j] * Math.Cos(angle)) - (v[j + half] * Math.Sin(angle));
            result[j + half] = (v[j + half] * Math.Cos(angle)) + (v[j] * Math.Sin(angle));
        }

        return result;
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    private static float First(Tensor t) => t.flatten()[0].item<float>();

    private static Tensor Reference(System.Text.Json.JsonElement root, string key) =>
        tensor(root.GetProperty(key).EnumerateArray().Select(v => v.GetSingle()).ToArray(), ScalarType.Float32, CPU);
}
