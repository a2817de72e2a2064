using FluentAssertions;
using Xunit;

namespace QuietStar.Cli.Tests;

/// <summary><c>quietstar inspect</c> end to end on the tiny trained checkpoint.</summary>
[Collection(TinyRunCollection.Name)]
public sealed class InspectTests(TinyRun tiny)
{
    [Fact]
    public void Writes_the_HTML_report_and_one_JSON_line()
    {
        string report = tiny.NewPath("report") + ".html";

        var run = CliRun.Of("inspect", "--model", tiny.Checkpoint, "--text", "the cat sat on a mat.", "--out", report);

        run.ExitCode.Should().Be(0, run.ToString());
        run.JsonKeys.Should().Contain(["report", "tokens", "thought_tokens", "mean_base_nll", "mean_talk_nll", "mean_mixing_weight", "freshly_equipped"]);
        run.Json.GetProperty("thought_tokens").GetInt32().Should().Be(2);
        run.Json.GetProperty("freshly_equipped").GetBoolean().Should().BeFalse();
        File.ReadAllText(report).Should().Contain("<html");
    }

    [Fact]
    public void Takes_the_run_folder_train_wrote_as_model()
    {
        // Before: "error: Model configuration '…/run/config.json' does not exist."
        var run = CliRun.Of("inspect", "--model", tiny.RunFolder, "--text", "the cat sat on a mat.", "--out", tiny.NewPath("report") + ".html");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Json.GetProperty("freshly_equipped").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public void A_bad_thought_length_is_an_error_naming_thought_tokens()
    {
        var run = CliRun.Of("inspect", "--model", tiny.Checkpoint, "--text", "the cat", "--out", tiny.NewPath("never") + ".html", "--thought-tokens", "0");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Contain("--thought-tokens must be at least 1");
    }
}
