namespace QuietStar.Cli.Infrastructure.Charts;

/// <summary>One line of a chart.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Color">An SVG colour, e.g. <c>#1f77b4</c>.</param>
/// <param name="Points">(x, y) in drawing order; non-finite values are skipped.</param>
/// <param name="Markers">Also draw a dot at every point (for sparse series such as validations).</param>
internal sealed record ChartSeries(string Name, string Color, IReadOnlyList<(double X, double Y)> Points, bool Markers = false);
