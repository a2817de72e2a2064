using System.Diagnostics;
using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;
using QuietStar.Core.Testing;
using QuietStar.Core.Tests.Checkpoints;
using QuietStar.Core.Tokenization;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;

namespace QuietStar.Core.Tests.Testing;

/// <summary>The test-model helper downstream tests use: no files, fast, deterministic, and a real model in every other respect.</summary>
public sealed class TestModelsTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static readonly GenerationOptions Greedy = new() { MaxTokens = 6, Greedy = true, Seed = 3, StopAtEos = false };

    [Fact]
    public void The_built_in_byte_level_tokenizer_round_trips_any_text()
    {
        var tokenizer = TextTokenizer.ByteLevel();
        const string text = "Q: 347 + 586?\nA: 933 — naïve ✓ 🙂";

        tokenizer.BaseVocabularySize.Should().Be(257);
        tokenizer.BosId.Should().Be(256);
        tokenizer.Decode(tokenizer.Encode(text, addBos: false)).Should().Be(text);
        tokenizer.Encode("ab", addBos: false).Should().Equal((int)'a', (int)'b');
    }

    [Fact]
    public void A_tiny_pipeline_builds_in_well_under_a_second_and_the_same_seed_gives_the_same_text()
    {
        using (TestModels.TinyPipeline(seed: 9))
        {
            // warm-up: the native library and JIT
        }

        var watch = Stopwatch.StartNew();
        using var first = TestModels.TinyPipeline(seed: 4);
        watch.Stop();
        output.WriteLine($"TinyPipeline built in {watch.Elapsed.TotalMilliseconds:F1} ms");
        using var second = TestModels.TinyPipeline(seed: 4);
        using var other = TestModels.TinyPipeline(seed: 5);

        var thoughts = new ThoughtOptions();
        string a = first.CreateGenerator().Generate("Hello", Greedy, thoughts).Text;
        second.CreateGenerator().Generate("Hello", Greedy, thoughts).Text.Should().Be(a);
        other.CreateGenerator().GenerateBatch(["Hello"], Greedy, thoughts)[0].TokenIds
            .Should().NotEqual(first.CreateGenerator().GenerateBatch(["Hello"], Greedy, thoughts)[0].TokenIds, "another seed is another model");
        first.Model.LanguageModel.Config.VocabSize.Should().Be(259, "257 byte-level tokens plus START/END");
    }

    [Fact]
    public void The_tiny_pipelines_mixing_head_is_live_so_thoughts_change_the_prediction()
    {
        using var pipeline = TestModels.TinyPipeline(seed: 2);
        var pieces = pipeline.CreateGenerator().Stream("abc", Greedy, new ThoughtOptions { IncludeThoughts = true }).ToList();

        pieces.Should().HaveCount(6);
        pieces.Select(p => p.Thought!.MixingWeight).Should().OnlyContain(w => float.IsFinite(w))
            .And.Contain(w => Math.Abs(w) > 1e-3, "a fresh head would mix with weight 0");
        pieces.Should().OnlyContain(p => p.Thought!.TokenIds.Count == TestModels.TinyThoughts.ThoughtTokens);
    }

    [Fact]
    public void A_tiny_model_saves_as_a_checkpoint_and_reloads_with_its_tokenizer_and_the_same_output()
    {
        string folder = temp.File("tiny");
        var thoughts = new ThoughtOptions { Sampling = QuietStar.Core.Algorithm.ThoughtSampling.Greedy };
        string before;
        using (var pipeline = TestModels.TinyPipeline(seed: 6))
        {
            before = pipeline.CreateGenerator().Generate("xyz", Greedy, thoughts).Text;
            pipeline.Save(folder);
        }

        using var reloaded = QuietStarBuilder.Create().UseModel(ModelSource.Checkpoint(folder)).Build();
        reloaded.Tokenizer.BaseVocabularySize.Should().Be(257);
        reloaded.CreateGenerator().Generate("xyz", Greedy, thoughts).Text.Should().Be(before);
    }

    [Fact]
    public void ModelSource_FromModel_equips_an_in_memory_model_once_and_refuses_another_device_or_a_second_build()
    {
        var model = PretrainedModel.CreateRandom(TestModels.TinyConfig, TextTokenizer.ByteLevel(), torch.CPU, torch.ScalarType.Float32, seed: 1);
        var source = ModelSource.FromModel(model);

        var wrongDtype = () => QuietStarBuilder.Create().UseModel(source).UseOptions(TestModels.TinyThoughts).UseDType(torch.ScalarType.Float64).Build();
        wrongDtype.Should().Throw<InvalidOperationException>().WithMessage("*Float32*Float64*UseDevice/UseDType*");

        using var pipeline = QuietStarBuilder.Create().UseModel(source).UseOptions(TestModels.TinyThoughts).Build();
        pipeline.Model.LanguageModel.Should().BeSameAs(model.Model, "the pipeline takes the model as it is");

        var again = () => QuietStarBuilder.Create().UseModel(source).UseOptions(TestModels.TinyThoughts).Build();
        again.Should().Throw<InvalidOperationException>().WithMessage("*already built*");
    }
}
