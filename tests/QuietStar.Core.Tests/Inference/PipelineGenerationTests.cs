using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;
using QuietStar.Core.Testing;
using Xunit;

namespace QuietStar.Core.Tests.Inference;

/// <summary>
/// <see cref="QuietStarPipeline.GenerateAsync(string, GenerationOptions?, ThoughtOptions?, CancellationToken)"/>: the
/// synchronous generator's output, streamed with thoughts, cancellable, and serialised across concurrent callers; and the
/// pipeline's synchronous <c>Generate</c>, <c>GenerateBatch</c> and <c>Stream</c>, which equal it and take their turn with it.
/// </summary>
public sealed class PipelineGenerationTests : IDisposable
{
    private readonly QuietStarPipeline pipeline = TestModels.TinyPipeline(seed: 11);

    public void Dispose() => pipeline.Dispose();

    private static GenerationOptions Greedy(int tokens = 8, long seed = 5) => new() { MaxTokens = tokens, Greedy = true, Seed = seed, StopAtEos = false };

    private static async Task<List<GenerationPiece>> Collect(IAsyncEnumerable<GenerationPiece> pieces)
    {
        var list = new List<GenerationPiece>();
        await foreach (var piece in pieces)
        {
            list.Add(piece);
        }

        return list;
    }

    [Fact]
    public async Task Streamed_pieces_equal_the_synchronous_generation_and_carry_each_thought_and_mixing_weight()
    {
        var expected = pipeline.CreateGenerator().Stream("The cat", Greedy(), new ThoughtOptions { IncludeThoughts = true }).ToList();

        var pieces = await Collect(pipeline.GenerateAsync("The cat", Greedy()));

        pieces.Select(p => p.TokenId).Should().Equal(expected.Select(p => p.TokenId));
        pieces.Select(p => p.Index).Should().Equal(Enumerable.Range(0, expected.Count));
        string.Concat(pieces.Select(p => p.Text)).Should().Be(string.Concat(expected.Select(p => p.Text)));
        pieces.Select(p => p.Thought).Should().Equal(expected.Select(p => p.Thought!.Text));
        pieces.Select(p => p.MixingWeight).Should().Equal(expected.Select(p => (float?)p.Thought!.MixingWeight));
        pieces.Should().OnlyContain(p => p.Thought != null && p.MixingWeight != null);
    }

    [Fact]
    public async Task Options_changed_after_the_call_do_not_change_the_request()
    {
        List<string> stops = [];
        var options = Greedy(tokens: 3) with { StopStrings = stops };
        var thoughts = new ThoughtOptions { IncludeThoughts = true, Sampling = ThoughtSampling.Greedy };
        var expected = pipeline.GenerateBatch(["The cat"], Greedy(tokens: 3), new ThoughtOptions { Sampling = ThoughtSampling.Greedy }).Single();
        expected.Text.Should().NotBeEmpty("its first character becomes a stop string below");

        // The stream holds the pipeline's turn while it is enumerated, so the batch, validated now, runs only after
        // everything below has been changed: its worker reads the options long after the call returned.
        await using var stream = pipeline.GenerateAsync("The cat", options, thoughts).GetAsyncEnumerator();
        (await stream.MoveNextAsync()).Should().BeTrue();
        var batch = pipeline.GenerateBatchAsync(["The cat"], options, thoughts);
        options.MaxTokens = 1;
        stops.Add(expected.Text[..1]);  // would stop both at once
        thoughts.Think = false;
        thoughts.Sampling = ThoughtSampling.Uniform;

        int streamed = 1;
        while (await stream.MoveNextAsync())
        {
            streamed++;
            stream.Current.Thought.Should().NotBeNull();
        }

        streamed.Should().Be(3);
        var generated = (await batch).Single();
        generated.TokenIds.Should().Equal(expected.TokenIds);
        generated.Text.Should().Be(expected.Text);
    }

    [Fact]
    public async Task Without_thoughts_the_pieces_have_none_and_equal_plain_decoding()
    {
        var plain = pipeline.CreateTextGenerator().Generate("abc", Greedy());

        var pieces = await Collect(pipeline.GenerateAsync("abc", Greedy(), ThoughtOptions.None));

        pieces.Select(p => p.TokenId).Should().Equal(plain.TokenIds);
        pieces.Should().OnlyContain(p => p.Thought == null && p.MixingWeight == null);
    }

    [Fact]
    public async Task Cancellation_stops_between_tokens_and_the_pipeline_serves_the_next_request_unharmed()
    {
        using var cts = new CancellationTokenSource();
        var seen = new List<GenerationPiece>();
        var run = async () =>
        {
            await foreach (var piece in pipeline.GenerateAsync("xy", Greedy(tokens: 200), cts.Token))
            {
                seen.Add(piece);
                if (seen.Count == 3)
                {
                    await cts.CancelAsync();
                }
            }
        };

        await run.Should().ThrowAsync<OperationCanceledException>();
        seen.Should().HaveCountLessThan(200, "the generation stopped early");

        var after = await Collect(pipeline.GenerateAsync("xy", Greedy(tokens: 5)));
        after.Select(p => p.TokenId).Should().Equal(pipeline.CreateGenerator().Generate("xy", Greedy(tokens: 5), new ThoughtOptions()).TokenIds);
    }

    [Fact]
    public async Task A_request_waits_while_another_runs_and_starts_when_the_first_reader_leaves()
    {
        await using var first = pipeline.GenerateAsync("first", Greedy(tokens: 100)).GetAsyncEnumerator();
        (await first.MoveNextAsync()).Should().BeTrue();                   // the first request holds the model

        var second = Collect(pipeline.GenerateAsync("second", Greedy(tokens: 3)));
        var finished = await Task.WhenAny(second, Task.Delay(500));
        finished.Should().NotBeSameAs(second, "requests on one pipeline are served one at a time");

        await first.DisposeAsync();                                        // the reader leaves early: the request stops
        (await second.WaitAsync(TimeSpan.FromMinutes(1))).Should().HaveCount(3);
    }

    [Fact]
    public async Task Concurrent_requests_from_many_threads_each_get_exactly_their_single_request_output()
    {
        var prompts = Enumerable.Range(0, 8).Select(i => $"prompt {i}: ").ToArray();
        var expected = prompts.Select((p, i) => pipeline.CreateGenerator().Generate(p, Greedy(seed: i), new ThoughtOptions()).TokenIds).ToArray();

        var results = await Task.WhenAll(prompts.Select((p, i) => Task.Run(() => Collect(pipeline.GenerateAsync(p, Greedy(seed: i))))));

        for (int i = 0; i < prompts.Length; i++)
        {
            results[i].Select(piece => piece.TokenId).Should().Equal(expected[i], $"request {i} must not see another request's cache");
        }
    }

    [Fact]
    public async Task Batch_generation_equals_the_synchronous_batch()
    {
        string[] prompts = ["a", "longer prompt", "mid"];
        var expected = pipeline.CreateGenerator().GenerateBatch(prompts, Greedy(), new ThoughtOptions());

        var results = await pipeline.GenerateBatchAsync(prompts, Greedy());

        results.Select(r => r.TokenIds).Should().BeEquivalentTo(expected.Select(r => r.TokenIds), o => o.WithStrictOrdering());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_batch_is_cancelled_between_tokens_and_the_pipeline_serves_the_next_request(bool think)
    {
        using var cts = new CancellationTokenSource();
        var thoughts = think ? new ThoughtOptions() : ThoughtOptions.None;
        // As many tokens as the 512-token context allows and an early cancel, so the batch is still running when the
        // cancellation lands even when a loaded machine delays this thread (it once finished 400 tokens first).
        var batch = pipeline.GenerateBatchAsync(["a", "b"], Greedy(tokens: 500), thoughts, cts.Token);
        await Task.Delay(10);
        await cts.CancelAsync();

        var wait = () => batch.WaitAsync(TimeSpan.FromMinutes(1));
        await wait.Should().ThrowAsync<OperationCanceledException>();

        var after = await pipeline.GenerateBatchAsync(["a"], Greedy(tokens: 3), thoughts);
        after.Single().TokenIds.Should().HaveCount(3);
    }

    [Fact]
    public void Bad_requests_are_refused_by_the_call_with_the_problem_named()
    {
        var zero = () => pipeline.GenerateAsync("a", new GenerationOptions { MaxTokens = 0 });
        zero.Should().Throw<ArgumentException>().WithMessage("GenerationOptions.MaxTokens must be positive*");

        var tooLong = () => pipeline.GenerateAsync(new string('x', 600), Greedy());
        tooLong.Should().Throw<ArgumentException>().WithMessage("*context of 512*");

        // int.MaxValue once overflowed prompt + MaxTokens to a negative number and slipped past the context check.
        var huge = new GenerationOptions { MaxTokens = int.MaxValue, Greedy = true };
        var hugeQuiet = () => pipeline.GenerateAsync("a", huge);
        hugeQuiet.Should().Throw<ArgumentException>().WithMessage("*context of 512*");
        var hugePlain = () => pipeline.GenerateAsync("a", huge, ThoughtOptions.None);
        hugePlain.Should().Throw<ArgumentException>().WithMessage("*2147483649 tokens do not fit the model's context of 512*");

        var temperature = () => pipeline.GenerateAsync("a", new GenerationOptions { Temperature = double.NaN });
        temperature.Should().Throw<ArgumentException>().WithMessage("*Temperature*");

        Action noPrompts = () => pipeline.GenerateBatchAsync([]);
        noPrompts.Should().Throw<ArgumentException>().WithMessage("*at least one*");
    }

    [Fact]
    public async Task Dispose_waits_for_the_running_request_and_later_requests_are_refused()
    {
        var own = TestModels.TinyPipeline(seed: 3);
        await using var running = own.GenerateAsync("a", Greedy(tokens: 50)).GetAsyncEnumerator();
        (await running.MoveNextAsync()).Should().BeTrue();

        var dispose = Task.Run(own.Dispose);
        (await Task.WhenAny(dispose, Task.Delay(300))).Should().NotBeSameAs(dispose, "the model is in use");
        await running.DisposeAsync();
        await dispose.WaitAsync(TimeSpan.FromMinutes(1));

        var after = () => own.GenerateAsync("a", Greedy());
        after.Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public async Task A_pipeline_made_by_With_shares_the_models_turn_a_request_on_it_waits_for_one_on_the_original()
    {
        using var longer = pipeline.With(o => o.ThoughtTokens = 3);
        await using var first = pipeline.GenerateAsync("first", Greedy(tokens: 100)).GetAsyncEnumerator();
        (await first.MoveNextAsync()).Should().BeTrue();                   // the original pipeline's request holds the model

        var second = Collect(longer.GenerateAsync("second", Greedy(tokens: 3)));
        var finished = await Task.WhenAny(second, Task.Delay(500));
        finished.Should().NotBeSameAs(second, "one model serves one request at a time, whichever pipeline over it asks");

        await first.DisposeAsync();
        (await second.WaitAsync(TimeSpan.FromMinutes(1))).Should().HaveCount(3);
    }

    [Fact]
    public async Task Disposing_the_owner_waits_for_a_request_on_a_With_pipeline_which_then_refuses_instead_of_touching_freed_weights()
    {
        var owner = TestModels.TinyPipeline(seed: 4);
        using var derived = owner.With(o => o.ThoughtTokens = 3);
        await using var running = derived.GenerateAsync("a", Greedy(tokens: 50)).GetAsyncEnumerator();
        (await running.MoveNextAsync()).Should().BeTrue();

        var dispose = Task.Run(owner.Dispose);
        (await Task.WhenAny(dispose, Task.Delay(300))).Should().NotBeSameAs(dispose, "the derived pipeline's request uses the model");
        await running.DisposeAsync();
        await dispose.WaitAsync(TimeSpan.FromMinutes(1));

        var after = () => derived.GenerateAsync("a", Greedy());
        after.Should().Throw<ObjectDisposedException>();
        var again = () => derived.With(o => o.ThoughtTokens = 2);
        again.Should().Throw<ObjectDisposedException>();
    }

    // The synchronous requests (Generate, GenerateBatch, Stream): the asynchronous ones' output, on the caller's thread, in turn with them.

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
