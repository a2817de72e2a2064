using System.Globalization;
using System.Net;
using System.Text;

namespace QuietStar.Cli.Infrastructure.Charts;

/// <summary>
/// Writes line charts as standalone SVG (no dependencies): panels stacked vertically, each with its own y range,
/// axes with rounded ticks, one polyline per series and a legend.
/// </summary>
internal static class SvgLineChart
{
    private const double Width = 820, PanelHeight = 250, Left = 80, Right = 190, Top = 40, Bottom = 45, TitleHeight = 30;
    private const int Ticks = 5;

    /// <summary>Renders <paramref name="panels"/> under <paramref name="title"/> and writes the SVG to <paramref name="path"/>.</summary>
    public static void Write(string path, string title, string xLabel, IReadOnlyList<ChartPanel> panels) =>
        File.WriteAllText(path, Render(title, xLabel, panels), new UTF8Encoding(false));

    /// <summary>The SVG document.</summary>
    public static string Render(string title, string xLabel, IReadOnlyList<ChartPanel> panels)
    {
        double height = TitleHeight + (panels.Count * PanelHeight);
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text x=\"{Width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}</text>\n"));
        var (xMin, xMax) = Range(panels.SelectMany(p => p.Series).SelectMany(s => s.Points).Select(p => p.X));
        for (int i = 0; i < panels.Count; i++)
        {
            AppendPanel(svg, panels[i], TitleHeight + (i * PanelHeight), xLabel, xMin, xMax);
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static void AppendPanel(StringBuilder svg, ChartPanel panel, double offset, string xLabel, double xMin, double xMax)
    {
        double top = offset + Top, bottom = offset + PanelHeight - Bottom, left = Left, right = Width - Right;
        var (yMin, yMax) = Range(panel.Series.SelectMany(s => s.Points).Select(p => p.Y));
        double X(double x) => left + ((x - xMin) / (xMax - xMin) * (right - left));
        double Y(double y) => bottom - ((y - yMin) / (yMax - yMin) * (bottom - top));

        svg.Append(Invariant($"<text x=\"{left}\" y=\"{top - 10}\" font-weight=\"bold\">{Escape(panel.Title)}</text>\n"));
        foreach (double tick in NiceTicks(yMin, yMax))
        {
            svg.Append(Invariant($"<line x1=\"{left}\" x2=\"{right}\" y1=\"{Y(tick):F1}\" y2=\"{Y(tick):F1}\" stroke=\"#e5e5e5\"/>"));
            svg.Append(Invariant($"<text x=\"{left - 6}\" y=\"{Y(tick) + 4:F1}\" text-anchor=\"end\">{Label(tick)}</text>\n"));
        }

        foreach (double tick in NiceTicks(xMin, xMax))
        {
            svg.Append(Invariant($"<text x=\"{X(tick):F1}\" y=\"{bottom + 16}\" text-anchor=\"middle\">{Label(tick)}</text>\n"));
        }

        svg.Append(Invariant($"<rect x=\"{left}\" y=\"{top}\" width=\"{right - left}\" height=\"{bottom - top}\" fill=\"none\" stroke=\"#888\"/>\n"));
        svg.Append(Invariant($"<text x=\"{(left + right) / 2}\" y=\"{bottom + 34}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n"));
        svg.Append(Invariant($"<text transform=\"translate({left - 62},{(top + bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(panel.YLabel)}</text>\n"));
        for (int i = 0; i < panel.Series.Count; i++)
        {
            AppendSeries(svg, panel.Series[i], X, Y);
            AppendLegendEntry(svg, panel.Series[i], right + 12, top + 8 + (i * 18));
        }
    }

    private static void AppendSeries(StringBuilder svg, ChartSeries series, Func<double, double> x, Func<double, double> y)
    {
        var points = series.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        string coordinates = string.Join(' ', points.Select(p => Invariant($"{x(p.X):F1},{y(p.Y):F1}")));
        svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{series.Color}\" stroke-width=\"1.5\" points=\"{coordinates}\"/>\n"));
        if (series.Markers)
        {
            foreach (var p in points)
            {
                svg.Append(Invariant($"<circle cx=\"{x(p.X):F1}\" cy=\"{y(p.Y):F1}\" r=\"3\" fill=\"{series.Color}\"/>"));
            }

            svg.Append('\n');
        }
    }

    private static void AppendLegendEntry(StringBuilder svg, ChartSeries series, double x, double y)
    {
        svg.Append(Invariant($"<line x1=\"{x}\" x2=\"{x + 18}\" y1=\"{y - 4}\" y2=\"{y - 4}\" stroke=\"{series.Color}\" stroke-width=\"2\"/>"));
        svg.Append(Invariant($"<text x=\"{x + 24}\" y=\"{y}\">{Escape(series.Name)}</text>\n"));
    }

    /// <summary>The finite range of <paramref name="values"/>, widened when empty or flat so that it can be divided by.</summary>
    private static (double Min, double Max) Range(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0)
        {
            return (0, 1);
        }

        double min = finite.Min(), max = finite.Max();
        double pad = max > min ? (max - min) * 0.05 : Math.Max(Math.Abs(min) * 0.05, 1e-6);
        return (min - pad, max + pad);
    }

    /// <summary>About <see cref="Ticks"/> round values (1, 2 or 5 times a power of ten apart) within [min, max].</summary>
    private static IEnumerable<double> NiceTicks(double min, double max)
    {
        double raw = (max - min) / Ticks;
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(f => f * power).First(s => s >= raw);
        for (double tick = Math.Ceiling(min / step) * step; tick <= max; tick += step)
        {
            yield return Math.Abs(tick) < step * 1e-9 ? 0 : tick;
        }
    }

    private static string Label(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
