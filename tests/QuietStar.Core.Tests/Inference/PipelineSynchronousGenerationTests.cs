using FluentAssertions;
using QuietStar.Core.Inference;
using QuietStar.Core.Testing;
using Xunit;

namespace QuietStar.Core.Tests.Inference;

/// <summary>
/// The pipeline's synchronous generation (<c>Generate</c>, <c>GenerateBatch</c>, <c>Stream</c>): the asynchronous
/// requests' output, on the caller's thread, and in turn with them.
/// </summary>
public sealed class PipelineSynchronousGenerationTests : IDisposable
{
    private readonly QuietStarPipeline pipeline = TestModels.TinyPipeline(seed: 11);

    public void Dispose() => pipeline.Dispose();

    private static GenerationOptions Sampled(int tokens = 8) => new() { MaxTokens = tokens, Seed = 7, StopAtEos = false };

    [Fact]
    public async Task Generate_and_GenerateBatch_equal_the_asynchronous_batch()
    {
        string[] prompts = ["The cat", "A dog ran"];
        var expected = await pipeline.GenerateBatchAsync(prompts, Sampled(), new ThoughtOptions());

        pipeline.GenerateBatch(prompts, Sampled(), new ThoughtOptions()).Select(t => t.TokenIds).Should().BeEquivalentTo(expected.Select(t => t.TokenIds), o => o.WithStrictOrdering());
        pipeline.Generate("The cat", Sampled(), new ThoughtOptions()).TokenIds.Should().Equal(
            (await pipeline.GenerateBatchAsync(["The cat"], Sampled(), new ThoughtOptions()))[0].TokenIds);
    }

    [Fact]
    public async Task Stream_yields_the_pieces_of_GenerateAsync_with_their_thoughts()
    {
        var expected = new List<GenerationPiece>();
        await foreach (var piece in pipeline.GenerateAsync("The cat", Sampled()))
        {
            expected.Add(piece);
        }

        var pieces = pipeline.Stream("The cat", Sampled()).ToList();

        pieces.Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
        pieces.Should().OnlyContain(p => p.Details != null);
    }

    [Fact]
    public async Task An_asynchronous_request_waits_while_a_stream_is_being_read()
    {
        using var stream = pipeline.Stream("The cat", Sampled(4)).GetEnumerator();
        stream.MoveNext().Should().BeTrue();   // the stream now holds its turn

        var waiting = pipeline.GenerateBatchAsync(["A dog"], Sampled(2));
        await Task.Delay(200);
        waiting.IsCompleted.Should().BeFalse("the stream has not finished");

        stream.Dispose();                      // ends the stream's turn
        (await waiting).Should().ContainSingle();
    }

    [Fact]
    public void Bad_options_throw_from_the_call_before_any_turn_is_taken()
    {
        var act = () => pipeline.Stream("The cat", new GenerationOptions { MaxTokens = 0 });

        act.Should().Throw<ArgumentException>();
        pipeline.Generate("The cat", Sampled(2)).TokenIds.Should().HaveCount(2);
    }
}
