using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Xunit;

namespace QuietStar.Web.Tests;

/// <summary>
/// The web sample on a real Kestrel port on localhost, serving the default model (the shipped arithmetic model, or
/// the model in QUIETSTAR_WEB_TEST_MODEL, e.g. a fine-tuned checkpoint for the screenshot in docs/).
/// </summary>
public sealed class WebAppFixture : IAsyncLifetime
{
    private WebApplication? app;

    /// <summary>The app's address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var args = new List<string> { "--urls=http://127.0.0.1:0" };
        if (Environment.GetEnvironmentVariable("QUIETSTAR_WEB_TEST_MODEL") is { Length: > 0 } model)
        {
            args.Add($"--QuietStar:Model={model}");
        }

        app = QuietStarWeb.Build([.. args], builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        BaseAddress = new Uri(app.Urls.Single());
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebAppFixture>
{
    public const string Name = "web app";
}
