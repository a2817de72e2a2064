using System.Net;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Xunit;

namespace QuietStar.Web.Tests;

/// <summary>The app refuses to start on a bad model setting, with the problem named, instead of failing at the first request.</summary>
public sealed class StartupTests
{
    [Fact]
    public void A_missing_model_path_stops_the_start_with_the_path_named()
    {
        var start = () => QuietStarWeb.Build(["--urls=http://127.0.0.1:0", "--QuietStar:Model=/no/such/model"]);

        start.Should().Throw<FileNotFoundException>().WithMessage("*'/no/such/model'*");
    }

    [Theory]
    [InlineData("MaxStreams", "-1")]
    [InlineData("MaxInspections", "-2")]
    [InlineData("MaxTokens", "0")]
    public void A_limit_out_of_range_stops_the_start_with_the_setting_named(string setting, string value)
    {
        var start = () => QuietStarWeb.Build(["--urls=http://127.0.0.1:0", "--QuietStar:Tiny=true", $"--QuietStar:{setting}={value}"]);

        start.Should().Throw<InvalidOperationException>().WithMessage($"QuietStar:{setting} must be*got {value})*");
    }

    [Fact]
    public async Task Streams_beyond_MaxStreams_get_503_with_the_reason_and_the_tiny_model_serves_otherwise()
    {
        await using var full = QuietStarWeb.Build(["--urls=http://127.0.0.1:0", "--QuietStar:Tiny=true", "--QuietStar:MaxStreams=0"],
            builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await full.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(full.Urls.Single()) };

        var refused = await SseClient.ReadAsync(client, SseClient.Query("hello", 4));
        refused.Status.Should().Be(HttpStatusCode.ServiceUnavailable);
        refused.Events.Single().Data.GetProperty("error").GetString().Should().Contain("0 streams are running or waiting");
        var inspect = await client.GetAsync("/api/inspect?text=hello");
        inspect.StatusCode.Should().Be(HttpStatusCode.OK, "inspection is one short request, not a stream");
        await full.StopAsync();
    }

    [Fact]
    public async Task Inspections_beyond_MaxInspections_get_503_with_the_reason_while_streams_are_still_served()
    {
        await using var full = QuietStarWeb.Build(["--urls=http://127.0.0.1:0", "--QuietStar:Tiny=true", "--QuietStar:MaxInspections=0"],
            builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await full.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(full.Urls.Single()) };

        var inspect = await client.GetAsync("/api/inspect?text=hello");
        var stream = await SseClient.ReadAsync(client, SseClient.Query("hello", 4));

        inspect.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await inspect.Content.ReadAsStringAsync()).Should().Contain("0 inspections are running or waiting");
        stream.Status.Should().Be(HttpStatusCode.OK);
        await full.StopAsync();
    }
}
