using FluentAssertions;
using PuppeteerSharp;
using Xunit;
using Xunit.Abstractions;

namespace QuietStar.Web.Tests;

/// <summary>
/// The page in a real headless browser (Debian's chromium, driven over the DevTools protocol by PuppeteerSharp; no
/// browser is downloaded): it loads, a prompt streams tokens, and the thoughts and mixing weights are visible.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class BrowserTests(WebAppFixture web, ITestOutputHelper output)
{
    /// <summary>The browser: QUIETSTAR_CHROMIUM, else Debian's /usr/bin/chromium.</summary>
    private static string ChromiumPath()
    {
        string path = Environment.GetEnvironmentVariable("QUIETSTAR_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(path))
        {
            Assert.Fail(
                $"The browser test needs Chromium at '{path}', and there is none. Install Debian's package " +
                "(`apt-get install -y chromium`; .ci/run does this) or point QUIETSTAR_CHROMIUM at a Chromium or Chrome binary.");
        }

        return path;
    }

    [Fact]
    public async Task The_page_streams_tokens_with_each_thought_and_its_mixing_weight_shown_inline()
    {
        const string prompt = "Q: What is 347 + 586?\nA: ";
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        await using var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1000, Height = 640 });

        var loaded = await page.GoToAsync(web.BaseAddress.ToString(), WaitUntilNavigation.Networkidle0);
        loaded.Ok.Should().BeTrue();
        (await page.GetTitleAsync()).Should().Contain("Quiet-STaR");
        await page.WaitForFunctionAsync("() => document.getElementById('info').textContent.startsWith('model:')");

        // Count how token spans arrive: in several DOM updates while the status says "streaming", not all at the end.
        await page.EvaluateExpressionAsync("""
            window.arrivals = [];
            new MutationObserver(records => {
              const added = records.flatMap(r => [...r.addedNodes]).filter(n => n.classList && n.classList.contains('token')).length;
              if (added > 0) window.arrivals.push({ added, status: document.getElementById('status').textContent });
            }).observe(document.getElementById('output'), { childList: true });
            """);
        // The page must render each event as it is read. How the server's events are grouped into network reads depends on
        // the machine's load (a short reply can reach a busy browser as one chunk and is then, rightly, drawn in one
        // update), so the test hands the page the real reply one event per read, 30 ms apart: the check is deterministic.
        await page.EvaluateExpressionAsync("""
            const realFetch = window.fetch;
            window.fetch = async (...args) => {
              const response = await realFetch(...args);
              if (!String(args[0]).startsWith('/api/generate') || !response.ok) return response;
              const reader = response.body.getReader(), decoder = new TextDecoder(), encoder = new TextEncoder();
              let pending = '';
              const oneEventPerRead = new ReadableStream({ async pull(controller) {
                for (;;) {
                  const end = pending.indexOf('\n\n');
                  if (end >= 0) {
                    const block = pending.slice(0, end + 2); pending = pending.slice(end + 2);
                    await new Promise(resolve => setTimeout(resolve, 30));
                    controller.enqueue(encoder.encode(block));
                    return;
                  }
                  const { value, done } = await reader.read();
                  if (done) { if (pending) controller.enqueue(encoder.encode(pending)); controller.close(); return; }
                  pending += decoder.decode(value, { stream: true });
                }
              } });
              return new Response(oneEventPerRead, { status: response.status, headers: response.headers });
            };
            """);
        await page.EvaluateFunctionAsync("p => { document.getElementById('prompt').value = p; }", prompt);
        await page.EvaluateExpressionAsync("document.getElementById('maxTokens').value = '24'");
        await page.ClickAsync("#generate");
        await page.WaitForFunctionAsync("() => document.getElementById('status').textContent.startsWith('done')",
            new WaitForFunctionOptions { Timeout = 120_000 });

        string status = await page.EvaluateExpressionAsync<string>("document.getElementById('status').textContent");
        string[] tokens = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#output .token')].map(t => t.textContent)");
        string[] thoughts = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#output .thought')].map(t => t.textContent)");
        int batches = await page.EvaluateExpressionAsync<int>("window.arrivals.length");
        output.WriteLine($"status: {status}; {tokens.Length} tokens in {batches} DOM updates; reply {string.Concat(tokens).ReplaceLineEndings("⏎")}");
        output.WriteLine("thoughts: " + string.Join(" | ", thoughts));

        tokens.Should().NotBeEmpty();
        status.Should().Be($"done: {tokens.Length} tokens");
        batches.Should().BeGreaterThan(1, "tokens are shown as they stream, not all at once at the end");
        thoughts.Should().NotBeEmpty().And.OnlyContain(t => t.StartsWith('«') && t.Contains("» w=", StringComparison.Ordinal));
        var firstThought = await page.QuerySelectorAsync("#output .thought");
        (await firstThought.IsIntersectingViewportAsync(0)).Should().BeTrue("a thought is visible on the page");
        (await firstThought.BoundingBoxAsync()).Should().NotBeNull();

        var direct = await SseClient.ReadAsync(web.Client, SseClient.Query(prompt, 24));
        string.Concat(tokens).Should().Be(direct.Done!.Data.GetProperty("text").GetString(), "the page shows the server's reply");

        string screenshot = Path.Combine(AppContext.BaseDirectory, "web-thoughts.png");
        await page.ScreenshotAsync(screenshot);
        output.WriteLine($"screenshot: {screenshot}");
        if (Environment.GetEnvironmentVariable("QUIETSTAR_WEB_SCREENSHOT") is { Length: > 0 } copy)
        {
            File.Copy(screenshot, copy, overwrite: true);
        }

        // Unticking "show thoughts" hides them.
        await page.ClickAsync("#showThoughts");
        (await firstThought.IsIntersectingViewportAsync(0)).Should().BeFalse();
    }

    [Fact]
    public async Task The_inspect_page_draws_each_tokens_thought_and_gain()
    {
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        await using var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1000, Height = 900 });

        (await page.GoToAsync(new Uri(web.BaseAddress, "/inspect").ToString(), WaitUntilNavigation.Networkidle0)).Ok.Should().BeTrue();
        await page.ClickAsync("#inspect");
        await page.WaitForFunctionAsync("() => /tokens; mean gain/.test(document.getElementById('status').textContent)",
            new WaitForFunctionOptions { Timeout = 120_000 });

        string status = await page.EvaluateExpressionAsync<string>("document.getElementById('status').textContent");
        int tokens = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#picture .token').length");
        int thoughts = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#picture .thought').length");
        int rows = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#table tr').length");
        string text = await page.EvaluateExpressionAsync<string>("[...document.querySelectorAll('#picture .token')].map(t => t.textContent).join('')");
        output.WriteLine($"inspect: {status}; {tokens} tokens, {thoughts} thoughts, {rows} table rows");

        tokens.Should().BeGreaterThan(10);
        thoughts.Should().Be(tokens);
        rows.Should().Be(tokens + 1, "a header and one row per token");
        text.Should().Be("Q: What is 347 + 586?\nA: 933");
        string screenshot = Path.Combine(AppContext.BaseDirectory, "web-inspect.png");
        await page.ScreenshotAsync(screenshot);
        if (Environment.GetEnvironmentVariable("QUIETSTAR_WEB_INSPECT_SCREENSHOT") is { Length: > 0 } copy)
        {
            File.Copy(screenshot, copy, overwrite: true);
        }
    }
}
