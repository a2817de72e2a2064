namespace QuietStar.Cli.Infrastructure.Charts;

/// <summary>One plot of a chart: its own y axis, sharing the chart's x axis label.</summary>
/// <param name="Title">Shown above the plot.</param>
/// <param name="YLabel">The y axis' meaning and unit.</param>
/// <param name="Series">The lines.</param>
internal sealed record ChartPanel(string Title, string YLabel, IReadOnlyList<ChartSeries> Series);
