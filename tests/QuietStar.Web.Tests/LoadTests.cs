using System.Diagnostics;
using System.Net;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace QuietStar.Web.Tests;

/// <summary>
/// Many clients at once on one pipeline: every stream completes, in bounded time, with exactly its own text. The streams
/// run past the end-of-text token (40 tokens each, so later problems are invented and answered too), which makes a mix-up
/// of two streams' caches or thoughts visible.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class LoadTests(WebAppFixture web, ITestOutputHelper output)
{
    private const int Streams = 12;
    private const int MaxTokens = 40;
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    private static readonly string[] Prompts =
    [
        "Q: What is 347 + 586?\nA: ",
        "Q: What is 120 + 455?\nA: ",
        "Q: What is 999 + 1?\nA: ",
        "Q: What is 205 + 718?\nA: ",
    ];

    [Fact]
    public async Task Concurrent_streams_all_complete_in_bounded_time_each_equal_to_its_prompts_single_request_output()
    {
        var single = new Dictionary<string, SseStream>();
        foreach (string prompt in Prompts)
        {
            single[prompt] = await SseClient.ReadAsync(web.Client, SseClient.Query(prompt, MaxTokens, stopAtEos: false));
            single[prompt].Done.Should().NotBeNull($"the single request for {prompt.ReplaceLineEndings(" ")} completes");
        }

        var watch = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(Bound);
        var requests = Enumerable.Range(0, Streams)
            .Select(i => Prompts[i % Prompts.Length])
            .Select(prompt => (prompt, task: Task.Run(() => SseClient.ReadAsync(web.Client, SseClient.Query(prompt, MaxTokens, stopAtEos: false), timeout.Token))))
            .ToArray();
        var results = await Task.WhenAll(requests.Select(r => r.task));
        watch.Stop();

        output.WriteLine($"{Streams} concurrent streams of up to {MaxTokens} tokens finished in {watch.Elapsed.TotalSeconds:F2} s (bound {Bound.TotalSeconds} s)");
        for (int i = 0; i < Streams; i++)
        {
            var (prompt, _) = requests[i];
            var stream = results[i];
            var expected = single[prompt];
            stream.Status.Should().Be(HttpStatusCode.OK);
            stream.ContentType.Should().Be("text/event-stream");
            stream.Events.Should().NotContain(e => e.Name == "error");
            stream.Done.Should().NotBeNull($"stream {i} completes");
            stream.Done!.Data.GetProperty("text").GetString().Should().Be(expected.Done!.Data.GetProperty("text").GetString(),
                $"stream {i} ({prompt.ReplaceLineEndings(" ")}) equals its single-request output");
            stream.PieceText.Should().Be(stream.Done.Data.GetProperty("text").GetString(), "the pieces add up to the reply");
            stream.Pieces.Select(p => p.Data.GetProperty("thought").GetString())
                .Should().Equal(expected.Pieces.Select(p => p.Data.GetProperty("thought").GetString()), "thoughts are not mixed up between streams");
            stream.Pieces.Select(p => p.Data.GetProperty("index").GetInt32()).Should().Equal(Enumerable.Range(0, stream.Pieces.Count()));
            output.WriteLine($"stream {i,2}: {prompt.ReplaceLineEndings(" ")}→ {stream.Done.Data.GetProperty("text").GetString()!.ReplaceLineEndings("⏎")} " +
                $"({stream.Pieces.Count()} tokens, first thought «{stream.Pieces.First().Data.GetProperty("thought").GetString()}»)");
        }

        watch.Elapsed.Should().BeLessThan(Bound);
    }

    [Fact]
    public async Task The_inspect_api_returns_every_tokens_thought_weight_and_NLLs()
    {
        using var response = await web.Client.GetAsync("/api/inspect?text=" + Uri.EscapeDataString("Q: What is 347 + 586?\nA: 933") + "&seed=2");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var tokens = json.RootElement.GetProperty("tokens").EnumerateArray().ToList();

        tokens.Should().HaveCountGreaterThan(10);
        string.Concat(tokens.Select(t => t.GetProperty("text").GetString())).Should().Be("Q: What is 347 + 586?\nA: 933");
        tokens.Should().OnlyContain(t => t.GetProperty("thought").GetString()!.Length > 0 && t.GetProperty("baseNll").GetDouble() >= 0);
        json.RootElement.GetProperty("meanGain").GetDouble().Should().Be(tokens.Average(t => t.GetProperty("gain").GetDouble()), "within rounding", 1e-9);

        using var tooLong = await web.Client.GetAsync("/api/inspect?text=" + new string('7', 300));
        tooLong.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await tooLong.Content.ReadAsStringAsync()).Should().Contain("inspecting needs 3 to").And.Contain("context of 256");
        using var empty = await web.Client.GetAsync("/api/inspect?text=");
        empty.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Bad_requests_get_400_with_the_problem_named()
    {
        var tooMany = await SseClient.ReadAsync(web.Client, SseClient.Query("Q: 1 + 1?\nA: ", maxTokens: 100_000));
        tooMany.Status.Should().Be(HttpStatusCode.BadRequest);
        tooMany.Events.Single().Data.GetProperty("error").GetString().Should().Contain("maxTokens must be between 1 and 128");

        var tooLong = await SseClient.ReadAsync(web.Client, SseClient.Query(string.Concat(Enumerable.Repeat("Q: 1 + 1?\n", 60)), maxTokens: 100));
        tooLong.Status.Should().Be(HttpStatusCode.BadRequest);
        tooLong.Events.Single().Data.GetProperty("error").GetString().Should().Contain("context of 256");

        var noPrompt = await SseClient.ReadAsync(web.Client, "/api/generate");
        noPrompt.Status.Should().Be(HttpStatusCode.BadRequest);
        noPrompt.Events.Single().Data.GetProperty("error").GetString().Should().Contain("Give a prompt");
    }
}
