using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using QuietStar.Core.Checkpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Checkpoints;

public sealed class SafetensorsWeightsTests
{
    [Theory]
    [InlineData(ScalarType.Float32, ScalarType.Float32)]
    [InlineData(ScalarType.Float16, ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16, ScalarType.BFloat16)]
    [InlineData(ScalarType.BFloat16, ScalarType.Float32)]
    [InlineData(ScalarType.Float32, ScalarType.Float16)]
    public void Single_file_round_trip_is_bit_exact(ScalarType stored, ScalarType loaded)
    {
        using var folder = new TempFolder();
        var weights = TinyWeights.For(TinyWeights.Config());

        SafetensorsWeights.Write(folder.Path, weights, stored);
        var read = SafetensorsWeights.Read(folder.Path, loaded);

        Directory.GetFiles(folder.Path).Select(Path.GetFileName).Should().Equal("model.safetensors");
        ShouldEqualExactly(read, weights, loaded);
        TinyWeights.Dispose(weights);
        TinyWeights.Dispose(read);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Sharded_round_trip_is_bit_exact_and_the_index_lists_every_tensor(ScalarType dtype)
    {
        using var folder = new TempFolder();
        var weights = TinyWeights.For(TinyWeights.Config("qwen2", tied: true));
        long totalBytes = TinyWeights.TotalElements(weights) * (dtype == ScalarType.Float32 ? 4 : 2);

        SafetensorsWeights.Write(folder.Path, weights, dtype, maxShardBytes: totalBytes / 3);
        var read = SafetensorsWeights.Read(folder.Path, dtype);

        var index = JsonDocument.Parse(File.ReadAllText(folder.File("model.safetensors.index.json"))).RootElement;
        index.GetProperty("metadata").GetProperty("total_size").GetInt64().Should().Be(totalBytes);
        var weightMap = index.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        weightMap.Keys.Should().BeEquivalentTo(weights.Keys);
        string[] shards = weightMap.Values.Distinct().ToArray()!;
        shards.Length.Should().BeGreaterThanOrEqualTo(3);
        shards.Should().OnlyContain(name => name!.EndsWith($"-of-{shards.Length:D5}.safetensors") && File.Exists(folder.File(name)));
        File.Exists(folder.File("model.safetensors")).Should().BeFalse();
        ShouldEqualExactly(read, weights, dtype);
        TinyWeights.Dispose(weights);
        TinyWeights.Dispose(read);
    }

    [Fact]
    public void Written_file_has_the_header_transformers_expects()
    {
        using var folder = new TempFolder();
        var weights = TinyWeights.For(TinyWeights.Config());

        SafetensorsWeights.Write(folder.Path, weights, ScalarType.BFloat16);

        byte[] bytes = File.ReadAllBytes(folder.File("model.safetensors"));
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        headerLength.Should().Match(n => n % 8 == 0, "the data must start 8-byte aligned");
        var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength)).RootElement;
        header.GetProperty("__metadata__").GetProperty("format").GetString().Should().Be("pt");
        var spans = header.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Select(p => (Dtype: p.Value.GetProperty("dtype").GetString(), Offsets: p.Value.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64()).ToArray()))
            .OrderBy(s => s.Offsets[0]).ToList();
        spans.Should().OnlyContain(s => s.Dtype == "BF16");
        spans.Zip(spans.Skip(1)).Should().OnlyContain(pair => pair.First.Offsets[1] == pair.Second.Offsets[0], "tensors are packed back to back");
        (8 + headerLength + spans[^1].Offsets[1]).Should().Be(bytes.Length);
        TinyWeights.Dispose(weights);
    }

    [Fact]
    public void Saving_in_the_other_layout_removes_the_stale_files()
    {
        using var folder = new TempFolder();
        var first = TinyWeights.For(TinyWeights.Config(), seed: 1);
        var second = TinyWeights.For(TinyWeights.Config(), seed: 2);

        SafetensorsWeights.Write(folder.Path, first, ScalarType.Float32, maxShardBytes: 512);
        SafetensorsWeights.Write(folder.Path, second, ScalarType.Float32);

        Directory.GetFiles(folder.Path).Select(Path.GetFileName).Should().Equal("model.safetensors");
        SafetensorsWeights.Write(folder.Path, first, ScalarType.Float32, maxShardBytes: 512);
        File.Exists(folder.File("model.safetensors")).Should().BeFalse();
        var read = SafetensorsWeights.Read(folder.Path, ScalarType.Float32);
        ShouldEqualExactly(read, first, ScalarType.Float32);
        TinyWeights.Dispose(first);
        TinyWeights.Dispose(second);
        TinyWeights.Dispose(read);
    }

    [Fact]
    public void Index_pointing_to_a_missing_shard_names_it()
    {
        using var folder = new TempFolder();
        var weights = TinyWeights.For(TinyWeights.Config());
        SafetensorsWeights.Write(folder.Path, weights, ScalarType.Float32, maxShardBytes: 512);
        string victim = Directory.GetFiles(folder.Path, "model-00002-of-*.safetensors").Single();
        File.Delete(victim);

        FluentActions.Invoking(() => SafetensorsWeights.Read(folder.Path, ScalarType.Float32))
            .Should().Throw<FileNotFoundException>()
            .Which.Message.Should().Contain(Path.GetFileName(victim));
        TinyWeights.Dispose(weights);
    }

    [Fact]
    public void Folder_without_weights_lists_what_was_looked_for()
    {
        using var folder = new TempFolder();

        FluentActions.Invoking(() => SafetensorsWeights.Read(folder.Path, ScalarType.Float32))
            .Should().Throw<FileNotFoundException>()
            .Which.Message.Should().Contain("model.safetensors'").And.Contain("model.safetensors.index.json").And.Contain(folder.Path);
    }

    [Fact]
    public void Truncated_file_is_reported_as_invalid_data_naming_it()
    {
        using var folder = new TempFolder();
        var weights = TinyWeights.For(TinyWeights.Config());
        SafetensorsWeights.Write(folder.Path, weights, ScalarType.Float32);
        string path = folder.File("model.safetensors");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^10]);

        FluentActions.Invoking(() => SafetensorsWeights.Read(folder.Path, ScalarType.Float32))
            .Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(path);
        TinyWeights.Dispose(weights);
    }

    [Theory]
    [InlineData("llama", false)]
    [InlineData("mistral", false)]
    [InlineData("qwen2", true)]
    public void Complete_weights_validate(string modelType, bool tied)
    {
        var config = TinyWeights.Config(modelType, tied);
        var weights = TinyWeights.For(config);
        weights["model.layers.0.self_attn.rotary_emb.inv_freq"] = ones(2, ScalarType.Float32, CPU);

        FluentActions.Invoking(() => SafetensorsWeights.ValidateAgainst(config, weights)).Should().NotThrow();
        TinyWeights.Dispose(weights);
    }

    [Fact]
    public void Wrong_shape_is_reported_with_the_key_and_both_shapes()
    {
        var config = TinyWeights.Config();
        var weights = TinyWeights.For(config);
        weights["model.layers.1.mlp.up_proj.weight"] = zeros(12, 9, ScalarType.Float32, CPU);

        FluentActions.Invoking(() => SafetensorsWeights.ValidateAgainst(config, weights))
            .Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain("'model.layers.1.mlp.up_proj.weight' has shape [12, 9], expected [12, 8]");
        TinyWeights.Dispose(weights);
    }

    [Fact]
    public void Missing_classifier_of_an_untied_model_is_named()
    {
        var config = TinyWeights.Config(tied: false);
        var weights = TinyWeights.For(config);
        weights.Remove("lm_head.weight");

        FluentActions.Invoking(() => SafetensorsWeights.ValidateAgainst(config, weights))
            .Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain("'lm_head.weight' is missing").And.Contain("tie_word_embeddings is false");
        TinyWeights.Dispose(weights);
    }

    [Fact]
    public void Missing_bias_and_unexpected_keys_are_named()
    {
        var config = TinyWeights.Config("qwen2", tied: true);
        var weights = TinyWeights.For(config);
        weights.Remove("model.layers.0.self_attn.k_proj.bias");
        weights["lm_head.weight"] = zeros(16, 8, ScalarType.Float32, CPU);
        weights["model.layers.0.mlp.gate_proj.bias"] = zeros(12, ScalarType.Float32, CPU);

        FluentActions.Invoking(() => SafetensorsWeights.ValidateAgainst(config, weights))
            .Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain("'model.layers.0.self_attn.k_proj.bias' is missing, expected shape [4]")
            .And.Contain("'lm_head.weight' is unexpected: tie_word_embeddings is true")
            .And.Contain("'model.layers.0.mlp.gate_proj.bias' is unexpected");
        TinyWeights.Dispose(weights);
    }

    [Fact]
    public void A_file_written_by_another_writer_is_read_exactly_including_integer_and_float64_tensors()
    {
        using var folder = new TempFolder();
        string path = folder.File("other.safetensors");
        using var g = new Generator(11);
        var written = new Dictionary<string, Tensor>
        {
            ["b"] = randn([3, 5], dtype: ScalarType.Float64, generator: g),
            ["a"] = randint(-100, 100, [4], dtype: ScalarType.Int64, generator: g),
            ["c"] = randn([2, 2, 3], generator: g).to_type(ScalarType.BFloat16),
            ["scalar"] = tensor(2.5f),
        };
        using (var stream = File.Create(path))
        {
            TorchSharp.PyBridge.Safetensors.SaveStateDict(stream, written);  // an independent writer
        }

        var read = SafetensorsFile.Load(path);
        var some = SafetensorsFile.Load(path, ["c"]);

        read.Keys.Should().BeEquivalentTo(written.Keys);
        foreach (var (name, expected) in written)
        {
            read[name].dtype.Should().Be(expected.dtype, name);
            read[name].shape.Should().Equal(expected.shape, name);
            read[name].device_type.Should().Be(DeviceType.CPU, name);
            read[name].bytes.ToArray().Should().Equal(expected.bytes.ToArray(), name);
        }

        some.Keys.Should().Equal("c");
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,64]}}", "data_offsets [0, 64]")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,8]}}", "data_offsets [0, 8]")]
    [InlineData("{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,1]}}", "dtype 'Q4'")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", "header is malformed")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,0],\"data_offsets\":[0,0]}}", "[-1, 0]")]
    [InlineData("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", "'w' appears twice")]
    public void A_header_that_does_not_fit_its_data_is_reported_before_any_tensor_is_read(string header, string expected)
    {
        using var folder = new TempFolder();
        string path = folder.File("bad.safetensors");
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + 16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);

        FluentActions.Invoking(() => SafetensorsFile.Load(path))
            .Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain(path).And.Contain(expected);
    }

    private static void ShouldEqualExactly(
        IReadOnlyDictionary<string, Tensor> actual, IReadOnlyDictionary<string, Tensor> expected, ScalarType dtype)
    {
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (name, tensor) in expected)
        {
            actual[name].dtype.Should().Be(dtype, name);
            actual[name].device_type.Should().Be(DeviceType.CPU, name);
            using var widened = actual[name].to_type(ScalarType.Float32);
            // Tensor.Equals(Tensor) is at::equal (same shape, same values); torch.equal is element-wise in TorchSharp.
            widened.Equals(tensor).Should().BeTrue($"'{name}' must survive the round trip bit for bit");
        }
    }
}
