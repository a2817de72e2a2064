using System.Net;
using System.Text.Json;

namespace QuietStar.Web.Tests;

/// <summary>One server-sent event.</summary>
public sealed record SseEvent(string Name, JsonElement Data);

/// <summary>The result of one <c>/api/generate</c> stream.</summary>
public sealed record SseStream(HttpStatusCode Status, string? ContentType, IReadOnlyList<SseEvent> Events)
{
    public IEnumerable<SseEvent> Pieces => Events.Where(e => e.Name == "piece");

    public string PieceText => string.Concat(Pieces.Select(e => e.Data.GetProperty("text").GetString()));

    public SseEvent? Done => Events.SingleOrDefault(e => e.Name == "done");
}

/// <summary>Reads <c>/api/generate</c> as a browser's EventSource would: <c>event:</c>/<c>data:</c> blocks separated by a blank line.</summary>
public static class SseClient
{
    public static string Query(string prompt, int maxTokens, long seed = 1, bool stopAtEos = true) =>
        $"/api/generate?prompt={Uri.EscapeDataString(prompt)}&maxTokens={maxTokens}&greedy=true&seed={seed}&stopAtEos={(stopAtEos ? "true" : "false")}";

    public static async Task<SseStream> ReadAsync(HttpClient client, string query, CancellationToken cancellationToken = default)
    {
        using var response = await client.GetAsync(query, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var events = new List<SseEvent>();
        if (!response.IsSuccessStatusCode)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            events.Add(new SseEvent("http-error", JsonDocument.Parse(body).RootElement.Clone()));
            return new SseStream(response.StatusCode, response.Content.Headers.ContentType?.MediaType, events);
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string? name = null, data = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null && data is not null)
                {
                    events.Add(new SseEvent(name, JsonDocument.Parse(data).RootElement.Clone()));
                }

                name = data = null;
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line["data: ".Length..];
            }
        }

        return new SseStream(response.StatusCode, response.Content.Headers.ContentType?.MediaType, events);
    }
}
