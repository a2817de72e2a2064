using FluentAssertions;
using QuietStar.Core.Checkpoints;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Checkpoints;

/// <summary>Loading stories260K from llama2.c and Hugging Face folders (single, sharded, BF16) and saving it.</summary>
public sealed class PretrainedModelTests : IDisposable
{
    private static readonly GenerationOptions Greedy256 = new() { Greedy = true, MaxTokens = 256 };

    private readonly PretrainedModel stories = Stories260K.Load();
    private readonly Stories260K.Reference reference = Stories260K.LoadReference();
    private readonly TempFolder temp = new();

    public void Dispose()
    {
        stories.Dispose();
        temp.Dispose();
    }

    [Fact]
    public void Load_reads_a_llama2c_file_with_its_tokenizer_onto_the_requested_device_and_dtype()
    {
        using var loaded = PretrainedModel.Load(Stories260K.CheckpointPath, Stories260K.TokenizerPath, CPU, ScalarType.Float64);

        loaded.Model.DType.Should().Be(ScalarType.Float64);
        loaded.Model.Device.type.Should().Be(DeviceType.CPU);
        loaded.Model.Weights().Values.Should().OnlyContain(t => t.dtype == ScalarType.Float64);
        loaded.Model.Config.Should().Be(stories.Model.Config);
        loaded.Tokenizer.BaseVocabularySize.Should().Be(512);
        loaded.Model.training.Should().BeFalse();
    }

    [Fact]
    public void Saved_F32_folder_loads_back_with_bitwise_identical_logits()
    {
        string folder = temp.File("stories-hf");

        PretrainedModel.Save(stories.Model, stories.Tokenizer, folder);
        using var loaded = PretrainedModel.Load(folder, tokenizerPath: null, CPU, ScalarType.Float32);

        Directory.GetFiles(folder).Select(Path.GetFileName).Should().BeEquivalentTo(
            "config.json", "model.safetensors", "tokenizer.model", "quietstar_special_tokens.json");
        Directory.GetFileSystemEntries(temp.Path).Should().ContainSingle("the temporary folder was renamed into place");
        loaded.Model.Config.Should().Be(stories.Model.Config);
        using var scope = NewDisposeScope();
        Logits(loaded.Model).Equals(Logits(stories.Model)).Should().BeTrue();
        loaded.Tokenizer.Encode("Once upon a time", addBos: true).Should().Equal(1, 403, 407, 261, 378);
    }

    [Fact]
    public void Sharded_F32_folder_loads_and_generates_exactly_the_reference_story()
    {
        string folder = temp.File("stories-sharded");

        PretrainedModel.Save(stories.Model, stories.Tokenizer, folder, ScalarType.Float32, maxShardBytes: 300_000);
        using var loaded = PretrainedModel.Load(folder, tokenizerPath: null, CPU, ScalarType.Float32);
        var story = new TextGenerator(loaded.Model, loaded.Tokenizer).Generate("", Greedy256);

        File.Exists(Path.Combine(folder, SafetensorsWeights.IndexFileName)).Should().BeTrue();
        File.Exists(Path.Combine(folder, SafetensorsWeights.SingleFileName)).Should().BeFalse();
        Directory.GetFiles(folder, "model-*-of-*.safetensors").Should().HaveCountGreaterThan(2);
        story.TokenIds.Should().Equal(reference.Generated);
        story.Text.Should().Be(reference.Text);
    }

    [Fact]
    public void BF16_folder_written_by_another_tool_loads_and_generates_the_reference_story_until_rounding_makes_it_diverge()
    {
        // As a converter would write it: config.json, BF16 safetensors of the tied model (no lm_head), tokenizer files.
        string folder = temp.File("stories-bf16");
        var (config, weights) = Llama2cCheckpoint.Read(Stories260K.CheckpointPath);
        SafetensorsWeights.Write(folder, weights, ScalarType.BFloat16);
        TinyWeights.Dispose(weights);
        HuggingFaceConfig.Write(config, Path.Combine(folder, HuggingFaceConfig.FileName), ScalarType.BFloat16);
        stories.Tokenizer.SaveTo(folder);

        using var loaded = PretrainedModel.Load(folder, tokenizerPath: null, CPU, ScalarType.Float32);
        var story = new TextGenerator(loaded.Model, loaded.Tokenizer).Generate("", Greedy256);
        int matching = story.TokenIds.Zip(reference.Generated).TakeWhile(pair => pair.First == pair.Second).Count();

        // BF16 keeps 8 significant bits, so rounding to nearest moves every weight by at most u = 2^-8 of its size
        // (the unit roundoff). To first order a logit moves by a sum of such relative errors, each weighted by a term of
        // the logit's size; the roundings are independent and unbiased, so they partly cancel and the change is a small
        // multiple of u times the logits' scale: on stories260K the largest change is 1.38 u max|logit| (0.118 against
        // max|logit| = 22.0). The window [u/2, 2u] · max|logit| (about 0.043 to 0.172) holds that with a margin under 3×
        // on either side: a writer that truncated instead of rounding (errors up to 2u, all towards zero) or a loader that
        // lost more bits would exceed it, and one that kept float32 would fall below it.
        // Greedy decoding follows the reference until two candidates are close enough for that to swap them: on the
        // development machine the first 185 of 256 tokens match (the story's first 3 paragraphs), then it diverges.
        using var scope = NewDisposeScope();
        var exact = Logits(stories.Model);
        float scale = exact.abs().max().item<float>();
        float logitGap = (Logits(loaded.Model) - exact).abs().max().item<float>();
        const float unitRoundoff = 1f / 256;
        logitGap.Should().BeInRange(0.5f * unitRoundoff * scale, 2f * unitRoundoff * scale,
            "rounding every weight to BF16 moves the logits by a small multiple of u = 2^-8 times their scale {0}", scale);
        matching.Should().BeGreaterThanOrEqualTo(150);
        story.Text.Should().StartWith(reference.Text[..reference.Text.IndexOf("Lily was sad", StringComparison.Ordinal)]);
        loaded.Model.Weights().Should().NotContainKey("lm_head.weight");
    }

    [Fact]
    public void Saving_over_an_existing_folder_replaces_it_whole_and_leaves_no_temporary_folders()
    {
        string folder = temp.File("target");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "stale.txt"), "from an earlier run");
        File.WriteAllText(Path.Combine(folder, "model-00001-of-00002.safetensors"), "stale shard");

        PretrainedModel.Save(stories.Model, stories.Tokenizer, folder, ScalarType.BFloat16);

        Directory.GetFiles(folder).Select(Path.GetFileName).Should().BeEquivalentTo(
            "config.json", "model.safetensors", "tokenizer.model", "quietstar_special_tokens.json");
        Directory.GetFileSystemEntries(temp.Path).Should().Equal(folder);
        File.ReadAllText(Path.Combine(folder, "config.json")).Should().Contain("\"torch_dtype\": \"bfloat16\"");
    }

    [Fact]
    public void Saving_onto_a_file_fails_and_leaves_the_file()
    {
        string file = temp.File("model.bin");
        File.WriteAllText(file, "not a folder");

        FluentActions.Invoking(() => PretrainedModel.Save(stories.Model, stories.Tokenizer, file))
            .Should().Throw<IOException>().WithMessage($"Cannot save to '{file}': it is a file, not a folder.*");
        File.ReadAllText(file).Should().Be("not a folder");
        Directory.GetFileSystemEntries(temp.Path).Should().Equal(file);
    }

    /// <summary>Logits of the reference story's first 32 tokens: <c>[1, 32, V]</c>.</summary>
    private Tensor Logits(CausalLanguageModel model)
    {
        using var noGrad = no_grad();
        var ids = tensor(reference.TokenIds.Take(32).Select(id => (long)id).ToArray(), [1, 32]);
        return model.Forward(new ModelInput { InputIds = ids }).Logits!;
    }
}
