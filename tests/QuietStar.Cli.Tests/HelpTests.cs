using FluentAssertions;
using Xunit;

namespace QuietStar.Cli.Tests;

/// <summary><c>--help</c> of every verb renders (Spectre parses descriptions as markup) and says what the verb does.</summary>
public sealed class HelpTests
{
    /// <summary>Every verb and branch of the app.</summary>
    public static TheoryData<string> Verbs => ["", "train", "eval", "generate", "inspect", "data", "data arithmetic", "bench", "bench train", "bench decode", "bench soak"];

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Help_of_every_verb_exits_0_and_prints_usage(string verb)
    {
        var run = CliRun.Of([.. verb.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Stderr.Should().NotContain("error", run.ToString());
        run.Stdout.Should().Contain("USAGE:");
    }

    [Fact]
    public void Generate_help_shows_the_thought_format_instead_of_failing_on_it_as_markup()
    {
        // Before: "error: Could not find color or style 'w=…'." and exit 2.
        var run = CliRun.Of("generate", "--help");

        run.ExitCode.Should().Be(0, run.ToString());
        run.StdoutOneLine.Should().Contain("--show-thoughts").And.Contain("[w=…] «thought»");
    }

    [Fact]
    public void Train_help_gives_the_small_presets_policy_weight_as_0()
    {
        // Before: "Default: the preset's (small: 1, with normalised advantages; reference: 1e6)"; TrainPreset.Small has 0.
        var run = CliRun.Of("train", "--help");

        run.ExitCode.Should().Be(0, run.ToString());
        string help = run.StdoutOneLine;
        help.Should().NotContain("small: 1,");
        int option = help.IndexOf("--policy-weight <W>", StringComparison.Ordinal);
        option.Should().BeGreaterThan(0, run.Stdout);
        help[option..].Should().StartWith("--policy-weight <W> Weight of the REINFORCE term. Default: the preset's (small: 0,");
    }

    [Fact]
    public void Model_option_help_mentions_run_folders()
    {
        CliRun.Of("generate", "--help").StdoutOneLine.Should().Contain("or a train run folder");
    }
}
