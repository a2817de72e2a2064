using System.Text.Json;
using FluentAssertions;
using QuietStar.Core.Checkpoints;
using QuietStar.Core.Model;
using static TorchSharp.torch;
using Xunit;

namespace QuietStar.Core.Tests.Checkpoints;

public sealed class HuggingFaceConfigTests
{
    public static TheoryData<TransformerConfig> Configs => new()
    {
        new TransformerConfig
        {
            ModelType = "llama", VocabSize = 32000, HiddenSize = 4096, IntermediateSize = 11008, NumLayers = 32,
            NumAttentionHeads = 32, NumKeyValueHeads = 8, MaxPositionEmbeddings = 4096, RopeTheta = 500000.0,
            RmsNormEps = 1e-5, TieWordEmbeddings = false, AttentionBias = true, BosTokenId = 1, EosTokenId = 2,
        },
        new TransformerConfig
        {
            ModelType = "mistral", VocabSize = 32000, HiddenSize = 4096, IntermediateSize = 14336, NumLayers = 32,
            NumAttentionHeads = 32, NumKeyValueHeads = 8, HeadDim = 128, MaxPositionEmbeddings = 32768,
            RopeTheta = 1000000.0, RmsNormEps = 1e-5, SlidingWindow = 4096, BosTokenId = 1, EosTokenId = 2, PadTokenId = 0,
        },
        new TransformerConfig
        {
            ModelType = "qwen2", VocabSize = 151936, HiddenSize = 896, IntermediateSize = 4864, NumLayers = 24,
            NumAttentionHeads = 14, NumKeyValueHeads = 2, MaxPositionEmbeddings = 32768, RopeTheta = 1000000.0,
            RmsNormEps = 1e-6, TieWordEmbeddings = true, AttentionBias = true, SlidingWindow = 32768,
            BosTokenId = null, EosTokenId = 151643, PadTokenId = null,
        },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Write_then_read_returns_an_equal_config(TransformerConfig config)
    {
        using var folder = new TempFolder();
        string path = folder.File("config.json");

        HuggingFaceConfig.Write(config, path);

        HuggingFaceConfig.Read(path).Should().Be(config);
    }

    [Fact]
    public void Written_file_has_the_keys_transformers_needs()
    {
        using var folder = new TempFolder();
        string path = folder.File("config.json");
        var qwen = TinyWeights.Config("qwen2") with { SlidingWindow = 64 };

        HuggingFaceConfig.Write(qwen, path, ScalarType.BFloat16);

        var root = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        root.GetProperty("architectures")[0].GetString().Should().Be("Qwen2ForCausalLM");
        root.GetProperty("model_type").GetString().Should().Be("qwen2");
        root.GetProperty("hidden_act").GetString().Should().Be("silu");
        root.GetProperty("torch_dtype").GetString().Should().Be("bfloat16");
        root.GetProperty("use_sliding_window").GetBoolean().Should().BeTrue();
        root.GetProperty("sliding_window").GetInt32().Should().Be(64);
        Directory.GetFiles(folder.Path).Should().ContainSingle("the temporary file is moved into place");
    }

    [Fact]
    public void Reads_a_Qwen2_config_as_published_with_bias_tied_and_sliding_window_off()
    {
        var config = ReadText("""
            {
              "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
              "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
              "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 24,
              "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
              "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true,
              "torch_dtype": "bfloat16", "transformers_version": "4.40.1", "use_cache": true,
              "use_sliding_window": false, "vocab_size": 151936
            }
            """);

        config.Should().BeEquivalentTo(new
        {
            ModelType = "qwen2", HiddenSize = 896, NumKeyValueHeads = 2, AttentionBias = true, TieWordEmbeddings = true,
            SlidingWindow = (int?)null, RopeTheta = 1e6, RmsNormEps = 1e-6, BosTokenId = 151643, EosTokenId = 151643,
        });
    }

    [Fact]
    public void Reads_eos_list_as_its_first_id_and_fills_absent_keys_with_transformers_defaults()
    {
        var config = ReadText("""
            { "model_type": "llama", "vocab_size": 128256, "hidden_size": 64, "intermediate_size": 128,
              "num_hidden_layers": 2, "num_attention_heads": 4, "eos_token_id": [128001, 128008, 128009],
              "rope_scaling": null, "head_dim": null }
            """);

        config.Should().BeEquivalentTo(new
        {
            EosTokenId = 128001, BosTokenId = 1, NumKeyValueHeads = 4, HeadDim = (int?)null, MaxPositionEmbeddings = 2048,
            RmsNormEps = 1e-6, RopeTheta = 10000.0, TieWordEmbeddings = false, AttentionBias = false, SlidingWindow = (int?)null,
        });
    }

    [Theory]
    [InlineData("", 4096)]
    [InlineData(""", "sliding_window": null""", null)]
    [InlineData(""", "sliding_window": 1024""", 1024)]
    public void Mistral_sliding_window_defaults_to_4096_only_when_absent(string extra, int? expected)
    {
        var config = ReadText($$"""
            { "model_type": "mistral", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
              "num_hidden_layers": 2, "num_attention_heads": 4 {{extra}} }
            """);

        config.SlidingWindow.Should().Be(expected);
    }

    [Fact]
    public void Unknown_model_type_names_the_type_and_the_supported_ones()
    {
        FluentActions.Invoking(() => ReadText("""{ "model_type": "gpt2", "vocab_size": 50257 }"""))
            .Should().Throw<NotSupportedException>()
            .Which.Message.Should().Contain("'gpt2'").And.Contain("llama, mistral, qwen2");
    }

    [Fact]
    public void Missing_required_key_is_named()
    {
        FluentActions.Invoking(() => ReadText("""
                { "model_type": "llama", "vocab_size": 100, "intermediate_size": 128,
                  "num_hidden_layers": 2, "num_attention_heads": 4 }
                """))
            .Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain("'hidden_size'").And.Contain("config.json");
    }

    [Fact]
    public void Value_of_the_wrong_type_is_named()
    {
        FluentActions.Invoking(() => ReadText("""
                { "model_type": "llama", "vocab_size": 100, "hidden_size": "64", "intermediate_size": 128,
                  "num_hidden_layers": 2, "num_attention_heads": 4 }
                """))
            .Should().Throw<InvalidDataException>()
            .Which.Message.Should().Contain("'hidden_size'").And.Contain("\"64\"");
    }

    [Fact]
    public void Rotary_scaling_is_rejected_rather_than_silently_ignored()
    {
        FluentActions.Invoking(() => ReadText("""
                { "model_type": "llama", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
                  "num_hidden_layers": 2, "num_attention_heads": 4,
                  "rope_scaling": { "rope_type": "llama3", "factor": 8.0 } }
                """))
            .Should().Throw<NotSupportedException>()
            .Which.Message.Should().Contain("llama3");
    }

    [Fact]
    public void Writing_a_qwen2_config_without_biases_is_refused()
    {
        using var folder = new TempFolder();
        var config = TinyWeights.Config("qwen2") with { AttentionBias = false };

        FluentActions.Invoking(() => HuggingFaceConfig.Write(config, folder.File("config.json")))
            .Should().Throw<ArgumentException>().WithMessage("*Qwen2*biases*");
    }

    private static TransformerConfig ReadText(string json)
    {
        using var folder = new TempFolder();
        string path = folder.File("config.json");
        File.WriteAllText(path, json);
        return HuggingFaceConfig.Read(path);
    }
}
