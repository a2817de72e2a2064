using System.Text.Json.Nodes;
using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Checkpoints;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Checkpoints;

public sealed class QuietStarCheckpointTests
{
    private readonly TextTokenizer tokenizer = TinyTraining.Tokenizer();

    [Fact]
    public void Loading_restores_start_end_and_the_mixing_head_bit_for_bit_and_the_logits_equal()
    {
        using var folder = new TempFolder();
        using var model = TrainedLookingModel();
        var saved = TinyTraining.Snapshot(model);

        QuietStarCheckpoint.Save(folder.Path, model, tokenizer);
        var loaded = QuietStarCheckpoint.Load(folder.Path);
        using var restored = loaded.Model;

        loaded.Training.Should().BeNull();
        restored.StartThoughtId.Should().Be(512);
        restored.EndThoughtId.Should().Be(513);
        restored.Options.Should().Be(model.Options);
        var actual = TinyTraining.Snapshot(restored);
        actual.Keys.Should().BeEquivalentTo(saved.Keys);
        foreach (var (name, value) in saved)
        {
            TinyTraining.Bits(actual[name]).Should().Equal(TinyTraining.Bits(value), name);
        }

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var ids = TinyModels.RandomIds(2, 12, 512, seed: 4);
        var before = new QuietStarObjective(model).Compute(ids, null, new Generator(5));
        var after = new QuietStarObjective(restored).Compute(ids, null, new Generator(5));
        TinyTraining.Bits(after.BaseLogits).Should().Equal(TinyTraining.Bits(before.BaseLogits));
        TinyTraining.Bits(after.TalkLogits[0]).Should().Equal(TinyTraining.Bits(before.TalkLogits[0]));
        after.Loss.item<float>().Should().Be(before.Loss.item<float>());
    }

    [Fact]
    public void The_folder_is_a_plain_hugging_face_model_plus_tokenizer_and_quiet_star_files()
    {
        using var folder = new TempFolder();
        using var model = TrainedLookingModel();

        QuietStarCheckpoint.Save(folder.Path, model, tokenizer);

        Directory.GetFiles(folder.Path).Select(Path.GetFileName).Should().BeEquivalentTo(
            ["config.json", "model.safetensors", "tokenizer.model", "quietstar_special_tokens.json", "quietstar.json", "quietstar.safetensors"]);
        var config = HuggingFaceConfig.Read(folder.File("config.json"));
        config.VocabSize.Should().Be(514);
        var weights = SafetensorsWeights.Read(folder.Path, ScalarType.Float32);
        SafetensorsWeights.ValidateAgainst(config, weights);
        TinyWeights.Dispose(weights);
        var reloaded = TextTokenizer.FromFolder(folder.Path);
        reloaded.GetExtraTokenId("<|startthought|>").Should().Be(512);
        reloaded.GetExtraTokenId("<|endthought|>").Should().Be(513);
        var manifest = JsonNode.Parse(File.ReadAllText(folder.File("quietstar.json")))!;
        manifest["format_version"]!.GetValue<int>().Should().Be(1);
        manifest["quiet_star"]!["thought_tokens"]!.GetValue<int>().Should().Be(2);
    }

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("quietstar.json")]
    [InlineData("built")]
    [InlineData("replaced-old")]
    [InlineData("flushed")]
    public void A_crash_while_saving_leaves_the_previous_checkpoint_loadable(string failAfter)
    {
        using var folder = new TempFolder();
        string checkpoint = Path.Combine(folder.Path, "run");
        using var model = TrainedLookingModel();
        QuietStarCheckpoint.Save(checkpoint, model, tokenizer, State(step: 1), WriteFakeOptimizer);
        var oldEmbedding = TinyTraining.Bits(model.LanguageModel.EmbeddingWeight);
        using (torch.no_grad())
        {
            model.LanguageModel.EmbeddingWeight.add_(1.0f);
        }

        var crash = () => QuietStarCheckpoint.Save(checkpoint, model, tokenizer, State(step: 2), WriteFakeOptimizer,
            afterStep: step =>
            {
                if (step == failAfter)
                {
                    throw new IOException($"simulated crash after {step}");
                }
            });
        crash.Should().Throw<IOException>().WithMessage($"simulated crash after {failAfter}");

        var loaded = QuietStarCheckpoint.Load(checkpoint);
        using var restored = loaded.Model;
        loaded.Training!.Step.Should().Be(1);
        TinyTraining.Bits(restored.LanguageModel.EmbeddingWeight).Should().Equal(oldEmbedding);

        QuietStarCheckpoint.Save(checkpoint, model, tokenizer, State(step: 3), WriteFakeOptimizer);
        Directory.GetDirectories(folder.Path).Select(Path.GetFileName).Should().Equal(["run"], "leftovers of the crash are cleaned up");
        var latest = QuietStarCheckpoint.Load(checkpoint);
        using var latestModel = latest.Model;
        latest.Training!.Step.Should().Be(3);
    }

    [Fact]
    public void A_checkpoint_whose_thought_weights_hold_a_nan_is_refused_naming_the_tensor()
    {
        using var folder = new TempFolder();
        using var model = TrainedLookingModel();
        QuietStarCheckpoint.Save(folder.Path, model, tokenizer);
        string path = folder.File(QuietStarCheckpoint.ThoughtWeightsFileName);
        var saved = TorchSharp.PyBridge.Safetensors.LoadStateDict(path);
        saved["thought_embeddings.end_embedding"][7] = float.NaN;
        using (var stream = File.Create(path))
        {
            SafetensorsFile.Write(stream, [.. saved], ScalarType.Float32);
        }

        var act = () => QuietStarCheckpoint.Load(folder.Path);

        act.Should().Throw<InvalidDataException>().WithMessage($"'{path}': weight 'thought_embeddings.end_embedding' holds 1 NaN*");
    }

    [Fact]
    public void Every_file_and_folder_is_flushed_to_disk_before_the_swap_and_the_parent_after_it()
    {
        using var folder = new TempFolder();
        string checkpoint = Path.Combine(folder.Path, "run");
        using var model = TrainedLookingModel();
        QuietStarCheckpoint.Save(checkpoint, model, tokenizer, State(step: 1), WriteFakeOptimizer);
        var steps = new List<string>();
        int stepAtFlush = -1;

        QuietStarCheckpoint.Save(checkpoint, model, tokenizer, State(step: 2), WriteFakeOptimizer, afterStep: step =>
        {
            steps.Add(step);
            if (step == "flushed")
            {
                // The new content is complete on disk, the old one still in place: nothing partial is visible.
                var loaded = QuietStarCheckpoint.Load(checkpoint);
                using var old = loaded.Model;
                stepAtFlush = loaded.Training!.Step;
            }
        });

        steps.Should().ContainInOrder("quietstar.json", "built", "flushed", "replaced-old", "parent-flushed");
        stepAtFlush.Should().Be(1);
        var latest = QuietStarCheckpoint.Load(checkpoint);
        using var latestModel = latest.Model;
        latest.Training!.Step.Should().Be(2);
        File.ReadAllBytes(Path.Combine(checkpoint, QuietStarCheckpoint.OptimizerFileName)).Should().Equal([9, 9, 9]);
    }

    [Fact]
    public void Thought_token_ids_that_collide_with_the_vocabulary_are_refused_on_load()
    {
        using var folder = new TempFolder();
        using var model = TrainedLookingModel();
        QuietStarCheckpoint.Save(folder.Path, model, tokenizer);
        var manifest = JsonNode.Parse(File.ReadAllText(folder.File("quietstar.json")))!;
        manifest["start_thought_id"] = 100;
        manifest["end_thought_id"] = 101;
        File.WriteAllText(folder.File("quietstar.json"), manifest.ToJsonString());

        var act = () => QuietStarCheckpoint.Load(folder.Path);

        act.Should().Throw<InvalidDataException>().WithMessage("*Thought token ids 100/101 collide with the tokenizer's own vocabulary of 512 tokens*");
    }

    [Fact]
    public void A_folder_without_a_manifest_is_not_a_quiet_star_checkpoint()
    {
        using var folder = new TempFolder();
        using var model = TrainedLookingModel();
        QuietStarCheckpoint.Save(folder.Path, model, tokenizer);
        File.Delete(folder.File("quietstar.json"));

        var act = () => QuietStarCheckpoint.Load(folder.Path);

        act.Should().Throw<FileNotFoundException>().WithMessage("*is not a Quiet-STaR checkpoint: it has no quietstar.json*");
    }

    /// <summary>A model whose START/END and mixing head differ from any initialisation, as after training.</summary>
    private QuietStarModel TrainedLookingModel()
    {
        var model = TinyTraining.Model(tokenizer);
        using var noGrad = torch.no_grad();
        var generator = new Generator(77);
        foreach (var (name, p) in model.named_parameters().Where(p => !p.name.StartsWith("language_model.", StringComparison.Ordinal)))
        {
            p.add_(torch.randn(p.shape, generator: generator) * 0.01);
        }

        return model;
    }

    private static TrainingState State(int step) => new()
    {
        Step = step,
        Options = TinyTraining.Options,
        Sampler = new SamplerState { Seed = 7, SequenceLength = 16, Epoch = 0, Position = step, CropState = 42, DocumentCount = 30, TokenCount = 900 },
        GeneratorState = [1, 2, 3],
    };

    private static void WriteFakeOptimizer(Stream stream) => stream.Write([9, 9, 9]);
}
