using FluentAssertions;
using QuietStar.Core.Checkpoints;
using QuietStar.Core.Loading;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Checkpoints;

/// <summary>
/// Pretraining from scratch (<c>train --init CONFIG</c>): the model has exactly the configuration's shapes, weights
/// drawn as Hugging Face draws them, and the same seed gives the same weights.
/// </summary>
public sealed class RandomInitTests
{
    private const string Config = """
        {"model_type": "llama", "vocab_size": 512, "hidden_size": 48, "intermediate_size": 80, "num_hidden_layers": 3,
         "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64, "tie_word_embeddings": false}
        """;

    [Fact]
    public void A_config_json_gives_a_model_of_its_shapes_with_hugging_face_initialisation()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "config.json");
        File.WriteAllText(path, Config);
        var tokenizer = TextTokenizer.FromSentencePiece(Stories260K.TokenizerPath);

        using var created = PretrainedModel.CreateRandom(HuggingFaceConfig.Read(path), tokenizer, CPU, ScalarType.Float32, seed: 5);
        var weights = created.Model.Weights();

        created.Model.Config.NumLayers.Should().Be(3);
        weights["model.embed_tokens.weight"].shape.Should().Equal(512, 48);
        weights["lm_head.weight"].shape.Should().Equal(512, 48);
        weights["model.layers.2.self_attn.q_proj.weight"].shape.Should().Equal(48, 48);
        weights["model.layers.2.self_attn.k_proj.weight"].shape.Should().Equal([24L, 48L], "2 KV heads of 12");
        weights["model.layers.0.mlp.up_proj.weight"].shape.Should().Equal(80, 48);
        weights.Keys.Should().NotContain(k => k.StartsWith("model.layers.3.", StringComparison.Ordinal));
        weights["model.layers.1.input_layernorm.weight"].eq(1).all().item<bool>().Should().BeTrue("norms start at 1");
        weights["model.layers.1.mlp.down_proj.weight"].std().item<float>().Should().BeApproximately(0.02f, 0.002f);
        weights["model.embed_tokens.weight"].mean().item<float>().Should().BeApproximately(0f, 0.002f);
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_and_another_seed_others()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "config.json");
        File.WriteAllText(path, Config);
        var config = HuggingFaceConfig.Read(path);
        var tokenizer = TextTokenizer.FromSentencePiece(Stories260K.TokenizerPath);

        using var a = PretrainedModel.CreateRandom(config, tokenizer, CPU, ScalarType.Float32, seed: 5);
        using var b = PretrainedModel.CreateRandom(config, tokenizer, CPU, ScalarType.Float32, seed: 5);
        using var c = PretrainedModel.CreateRandom(config, tokenizer, CPU, ScalarType.Float32, seed: 6);

        a.Model.Weights().Should().AllSatisfy(w => w.Value.equal(b.Model.Weights()[w.Key]).all().item<bool>().Should().BeTrue(w.Key));
        a.Model.Weights()["model.layers.0.self_attn.v_proj.weight"].equal(c.Model.Weights()["model.layers.0.self_attn.v_proj.weight"]).all().item<bool>()
            .Should().BeFalse();
    }

    [Fact]
    public void A_vocabulary_smaller_than_the_tokenizer_is_refused()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "config.json");
        File.WriteAllText(path, Config.Replace("\"vocab_size\": 512", "\"vocab_size\": 100", StringComparison.Ordinal));
        var tokenizer = TextTokenizer.FromSentencePiece(Stories260K.TokenizerPath);

        var act = () => PretrainedModel.CreateRandom(HuggingFaceConfig.Read(path), tokenizer, CPU, ScalarType.Float32, seed: 5);

        act.Should().Throw<InvalidOperationException>().WithMessage("*512*100*");
    }
}
