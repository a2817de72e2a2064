using System.Globalization;
using System.Net;
using System.Text;
using QuietStar.Core.Inference;

namespace QuietStar.Cli.Commands.Inspect;

/// <summary>A static HTML page (inline CSS, no scripts) showing every token of an inspected text with its thought.</summary>
internal static class InspectReport
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 70rem; }
        h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
        .meta { color: #555; } .note { color: #a60; }
        .text { font-family: ui-monospace, monospace; line-height: 2; white-space: pre-wrap; }
        .tok { border-radius: 3px; padding: 1px 0; }
        table { border-collapse: collapse; font-size: 0.9rem; }
        th, td { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: right; }
        td.s { text-align: left; font-family: ui-monospace, monospace; white-space: pre; }
        """;

    /// <summary>Renders the page.</summary>
    /// <param name="title">What was inspected (model, thought length, seed).</param>
    /// <param name="note">A warning shown under the title, or null.</param>
    /// <param name="tokens">Every predicted token, in order.</param>
    public static string Render(string title, string? note, IReadOnlyList<TokenInspection> tokens)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Quiet-STaR inspection</title><style>")
            .Append(Style).Append("</style></head><body><h1>Quiet-STaR inspection</h1>");
        html.Append("<p class=\"meta\">").Append(Encode(title)).Append("</p>");
        if (note is not null)
        {
            html.Append("<p class=\"note\">").Append(Encode(note)).Append("</p>");
        }

        html.Append("<p class=\"meta\">").Append(Encode(Summary(tokens))).Append("</p>");
        html.Append("<h2>Text</h2><p class=\"meta\">Green: the thought lowered the token's NLL; red: it raised it. Hover a token for its thought.</p><p class=\"text\">");
        foreach (var token in tokens)
        {
            html.Append("<span class=\"tok\" style=\"background:").Append(Colour(token.Gain)).Append("\" title=\"")
                .Append(Encode(Tooltip(token))).Append("\">").Append(Encode(token.Text)).Append("</span>");
        }

        html.Append("</p><h2>Per token</h2><table><tr><th>#</th><th>token</th><th>thought before it</th><th>w</th><th>base NLL</th><th>after-thought NLL</th><th>gain</th></tr>");
        foreach (var token in tokens)
        {
            html.Append("<tr><td>").Append(token.Position).Append("</td><td class=\"s\">").Append(Encode(token.Text))
                .Append("</td><td class=\"s\">«").Append(Encode(token.Thought)).Append("»</td><td>").Append(Number(token.MixingWeight))
                .Append("</td><td>").Append(Number(token.BaseNll)).Append("</td><td>").Append(Number(token.AfterThoughtNll))
                .Append("</td><td style=\"background:").Append(Colour(token.Gain)).Append("\">").Append(Number(token.Gain)).Append("</td></tr>");
        }

        return html.Append("</table></body></html>\n").ToString();
    }

    private static string Summary(IReadOnlyList<TokenInspection> tokens) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{tokens.Count} predicted tokens; mean base NLL {tokens.Average(t => t.BaseNll):F3}, mean after-thought NLL {tokens.Average(t => t.AfterThoughtNll):F3}, mean w {tokens.Average(t => t.MixingWeight):F3}.");

    private static string Tooltip(TokenInspection token) =>
        string.Create(CultureInfo.InvariantCulture,
            $"w={token.MixingWeight:F3}; NLL base {token.BaseNll:F3} → {token.AfterThoughtNll:F3}; thought «{token.Thought}»");

    /// <summary>Green for a gain, red for a loss, opacity growing to full at one nat.</summary>
    private static string Colour(double gain)
    {
        double alpha = Math.Min(1.0, Math.Abs(gain)) * 0.6;
        string rgb = gain >= 0 ? "40,160,60" : "210,50,40";
        return string.Create(CultureInfo.InvariantCulture, $"rgba({rgb},{alpha:F3})");
    }

    private static string Number(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
