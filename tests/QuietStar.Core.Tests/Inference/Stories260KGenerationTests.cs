using FluentAssertions;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Inference;

/// <summary>Generation with the pretrained stories260K model against reference_greedy.json and llama2.c's behaviour.</summary>
public sealed class Stories260KGenerationTests : IDisposable
{
    private static readonly GenerationOptions Greedy = new() { Greedy = true, MaxTokens = 256 };

    private readonly PretrainedModel stories = Stories260K.Load();
    private readonly Stories260K.Reference reference = Stories260K.LoadReference();

    public void Dispose() => stories.Dispose();

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Greedy_from_BOS_for_256_steps_reproduces_the_reference_tokens_and_text(ScalarType dtype)
    {
        using var model = PretrainedModel.FromLlama2c(Stories260K.CheckpointPath, Stories260K.TokenizerPath, CPU, dtype);
        var generator = new TextGenerator(model.Model, model.Tokenizer);

        var result = generator.Generate("", Greedy);

        result.TokenIds.Should().Equal(reference.Generated);
        result.Text.Should().Be(reference.Text);
        result.StopReason.Should().Be(StopReason.MaxTokens);
    }

    [Fact]
    public void Streamed_pieces_carry_every_token_and_concatenate_to_the_reference_text()
    {
        var pieces = new TextGenerator(stories.Model, stories.Tokenizer).Stream("", Greedy).ToList();

        pieces.Select(p => p.TokenId).Should().Equal(reference.Generated);
        string.Concat(pieces.Select(p => p.Text)).Should().Be(reference.Text);
        pieces[0].Text.Should().Be("Once", "the piece right after BOS loses its leading space, as in llama2.c");
    }

    [Fact]
    public void Cached_logits_after_BOS_and_after_BOS_then_403_match_the_reference_within_1e_3()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = new KeyValueCache(stories.Model.Config.NumLayers);

        var afterBos = stories.Model.Forward(new ModelInput { InputIds = tensor(new long[] { 1 }, [1, 1]), Cache = cache }).Logits!;    // [1, 1, V]
        var afterOnce = stories.Model.Forward(new ModelInput { InputIds = tensor(new long[] { 403 }, [1, 1]), Cache = cache }).Logits!; // [1, 1, V]

        MaxAbsDifference(afterBos[0, 0], reference.LogitsAfterBos).Should().BeLessThan(1e-3);
        MaxAbsDifference(afterOnce[0, 0], reference.LogitsAfterOnce).Should().BeLessThan(1e-3);
        afterBos[0, 0].argmax().item<long>().Should().Be(403);
    }

    [Fact]
    public void Generation_stops_at_a_generated_BOS_as_llama2c_does_and_the_story_before_it_is_the_text()
    {
        // Greedy from BOS, the story ends after 345 tokens and the model starts a new one with BOS (id 1).
        var generator = new TextGenerator(stories.Model, stories.Tokenizer);
        generator.StopTokenIds.Should().BeEquivalentTo([1, 2]);

        var stopped = generator.Generate("", Greedy with { MaxTokens = 500 });
        var unstopped = generator.Generate("", Greedy with { MaxTokens = 400, StopAtEos = false });

        stopped.StopReason.Should().Be(StopReason.StopToken);
        stopped.TokenIds[^1].Should().Be(1);
        stopped.TokenIds.Count.Should().BeLessThan(400);
        stopped.TokenIds.Should().Equal(unstopped.TokenIds.Take(stopped.TokenIds.Count));
        stopped.Text.Should().StartWith(reference.Text).And.Be(stories.Tokenizer.Decode([1, .. stopped.TokenIds]));
        unstopped.TokenIds.Should().HaveCount(400);
    }

    [Fact]
    public void Kv_cached_greedy_generation_equals_generation_by_full_recomputation()
    {
        int[] prompt = stories.Tokenizer.Encode("Tom had a big red ball and he", addBos: true);

        var cached = new TextGenerator(stories.Model, stories.Tokenizer)
            .Generate("Tom had a big red ball and he", Greedy with { MaxTokens = 48 });

        cached.TokenIds.Should().Equal(Recomputation.Greedy(stories.Model, prompt, 48));
        cached.TokenIds.Distinct().Should().HaveCountGreaterThan(20, "a varied continuation, so a wrong cache would show");
    }

    [Fact]
    public void Batch_of_prompts_of_different_lengths_equals_each_prompt_generated_alone()
    {
        // 1, 5 and 11 tokens with BOS; the rows stop at BOS after different numbers of steps (342, 229, 210 alone).
        string[] prompts = ["", "Once upon a time", "Tom had a big red ball and he"];
        var generator = new TextGenerator(stories.Model, stories.Tokenizer);
        var options = Greedy with { MaxTokens = 400 };

        var batch = generator.GenerateBatch(prompts, options);

        batch.Should().HaveCount(3);
        for (int i = 0; i < prompts.Length; i++)
        {
            var alone = generator.Generate(prompts[i], options);
            batch[i].Should().BeEquivalentTo(alone, o => o.WithStrictOrdering(), $"prompt \"{prompts[i]}\"");
        }

        batch.Select(r => r.TokenIds.Count).Distinct().Should().HaveCount(3, "the rows stop at different steps");
        batch.Should().OnlyContain(r => r.StopReason == StopReason.StopToken);
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_and_different_seeds_give_different_texts()
    {
        var generator = new TextGenerator(stories.Model, stories.Tokenizer);
        var options = new GenerationOptions { Temperature = 1.0, TopP = 0.9, MaxTokens = 100, Seed = 7 };

        var first = generator.Generate("Once upon a time", options);
        var again = generator.Generate("Once upon a time", options);
        var streamed = generator.Stream("Once upon a time", options).ToList();
        var otherSeed = generator.Generate("Once upon a time", options with { Seed = 8 });

        again.Should().BeEquivalentTo(first, o => o.WithStrictOrdering());
        streamed.Select(p => p.TokenId).Should().Equal(first.TokenIds);
        otherSeed.TokenIds.Should().NotEqual(first.TokenIds);
        first.TokenIds.Should().NotEqual(generator.Generate("Once upon a time", Greedy with { MaxTokens = 100 }).TokenIds);
    }

    [Fact]
    public void Tiny_top_p_keeps_only_the_most_likely_token_and_so_equals_greedy()
    {
        var generator = new TextGenerator(stories.Model, stories.Tokenizer);

        var nucleusOfOne = generator.Generate("", new GenerationOptions { Temperature = 1.5, TopP = 1e-6, Seed = 3, MaxTokens = 128 });

        nucleusOfOne.TokenIds.Should().Equal(reference.Generated.Take(128));
    }

    [Theory]
    [InlineData("Lily")]
    [InlineData("red ball. She")]
    [InlineData("park", "girl named")]
    public void Stop_strings_end_the_text_right_before_the_earliest_one_and_the_stream_never_shows_it(params string[] stops)
    {
        var generator = new TextGenerator(stories.Model, stories.Tokenizer);
        var options = Greedy with { StopStrings = stops };
        int cut = stops.Min(s => reference.Text.IndexOf(s, StringComparison.Ordinal));

        var result = generator.Generate("", options);
        var streamed = string.Concat(generator.Stream("", options).Select(p => p.Text));

        result.Text.Should().Be(reference.Text[..cut]);
        result.StopReason.Should().Be(StopReason.StopString);
        result.TokenIds.Should().Equal(reference.Generated.Take(result.TokenIds.Count));
        stories.Tokenizer.Decode([1, .. result.TokenIds]).Should().Contain(stops.First(s => reference.Text.IndexOf(s, StringComparison.Ordinal) == cut));
        streamed.Should().Be(result.Text);
    }

    [Fact]
    public void Stop_string_that_never_appears_changes_nothing()
    {
        var result = new TextGenerator(stories.Model, stories.Tokenizer).Generate("", Greedy with { StopStrings = ["dragon"] });

        result.Text.Should().Be(reference.Text);
        result.StopReason.Should().Be(StopReason.MaxTokens);
    }

    private static double MaxAbsDifference(Tensor actual, float[] expected) =>
        (actual.to_type(ScalarType.Float64) - tensor(expected).to_type(ScalarType.Float64)).abs().max().item<double>();
}
