using System.Globalization;
using QuietStar.Cli.Infrastructure;
using QuietStar.Cli.Infrastructure.Charts;
using QuietStar.Core.Training;

namespace QuietStar.Cli.Commands.Train;

/// <summary>
/// Receives the trainer's report after every step (on the training thread): moves the progress display, prints each
/// validation, and keeps the curves that <see cref="WriteCurves"/> draws.
/// </summary>
internal sealed class TrainingMonitor(ProgressDisplay display, bool noThoughts) : IProgress<TrainingProgress>
{
    private readonly List<(double X, double Y)> loss = [], baseNll = [], talkNll = [], talkMinusBase = [], distinctThoughts = [];
    private readonly List<(double X, double Y)> validationBase = [], validationTalk = [], validationGain = [], validationHardGain = [];

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        var c = value.Metrics;
        loss.Add((value.Step, c.Loss));
        baseNll.Add((value.Step, c.BaseNll));
        talkNll.Add((value.Step, c.TalkNll[0]));
        talkMinusBase.Add((value.Step, c.TalkMinusBase));
        distinctThoughts.Add((value.Step, c.DistinctThoughts));
        display.Update(value.Step, Status(value));
        if (value.Validation is { } validation)
        {
            Record(value.Step, validation);
        }
    }

    /// <summary>Draws loss, base/talk NLL, their difference (training batches and validations) and thought diversity as an SVG.</summary>
    public void WriteCurves(string path, string title)
    {
        var panels = new List<ChartPanel>
        {
            new("Training loss (NLL part + policy weight × REINFORCE)", "loss", [new("loss", "#444444", loss)]),
            new("Next-token NLL", "nats/token", noThoughts
                ? [new("train", "#1f77b4", baseNll), new("validation", "#17becf", validationBase, Markers: true)]
                : [
                    new("train base", "#1f77b4", baseNll),
                    new("train talk", "#ff7f0e", talkNll),
                    new("valid. base", "#17becf", validationBase, Markers: true),
                    new("valid. talk", "#d62728", validationTalk, Markers: true),
                ]),
        };
        if (!noThoughts)
        {
            panels.Add(new("Talk − base NLL (below 0: thinking helps)", "nats/token",
            [
                new("train", "#bbbbbb", talkMinusBase),
                new("valid. all", "#d62728", validationGain, Markers: true),
                new("valid. hard 10 %", "#9467bd", validationHardGain, Markers: true),
            ]));
            panels.Add(new("Distinct thoughts per training batch (low: the thoughts collapsed to a few strings)", "thoughts",
                [new("distinct", "#2ca02c", distinctThoughts)]));
        }

        SvgLineChart.Write(path, title, "optimizer step", panels);
    }

    private void Record(int step, ValidationMetrics validation)
    {
        validationBase.Add((step, validation.BaseNll));
        validationTalk.Add((step, validation.TalkNll));
        validationGain.Add((step, validation.TalkMinusBase));
        validationHardGain.Add((step, validation.HardTalkMinusBase));
        display.Note(noThoughts
            ? string.Create(CultureInfo.InvariantCulture,
                $"validation at step {step}: NLL {validation.BaseNll:F4}, hardest 10 %: {validation.HardBaseNll:F4}")
            : string.Create(CultureInfo.InvariantCulture,
                $"validation at step {step}: base NLL {validation.BaseNll:F4}, talk NLL {validation.TalkNll:F4} ({Signed(validation.TalkMinusBase)}), " +
                $"hardest 10 %: {validation.HardBaseNll:F4} → {validation.HardTalkNll:F4} ({Signed(validation.HardTalkMinusBase)}), mixing weight {validation.MeanMixingWeight:F4}"));
    }

    private string Status(TrainingProgress p)
    {
        string thoughts = noThoughts ? "" : string.Create(CultureInfo.InvariantCulture,
            $"  talk−base {Signed(p.Metrics.TalkMinusBase)}  w {p.Metrics.MixingWeightMean:F4}  distinct thoughts {p.Metrics.DistinctThoughts}");
        return string.Create(CultureInfo.InvariantCulture,
            $"step {p.Step}/{p.TotalSteps}  loss {p.Metrics.Loss:F4}  base NLL {p.Metrics.BaseNll:F4}{thoughts}  {p.TokensPerSecond:F0} tok/s  ETA {p.EstimatedRemaining:hh\\:mm\\:ss}");
    }

    /// <summary>A difference with its sign, to 4 decimals; one that rounds to zero is "0.0000", never "-0.0000".</summary>
    private static string Signed(double value) => Math.Round(value, 4).ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);
}
