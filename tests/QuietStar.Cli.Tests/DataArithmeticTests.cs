using FluentAssertions;
using Xunit;

namespace QuietStar.Cli.Tests;

/// <summary><c>quietstar data arithmetic</c> end to end.</summary>
public sealed class DataArithmeticTests : IDisposable
{
    private readonly TempFolder folder = new();

    [Fact]
    public void Writes_the_file_and_one_JSON_line_describing_it()
    {
        string file = folder.File("arith.txt");

        var run = CliRun.Of("data", "arithmetic", "--digits", "2", "--count", "20", "--style", "mixed", "--out", file);

        run.ExitCode.Should().Be(0, run.ToString());
        run.JsonKeys.Should().Contain(["out", "digits", "count", "seed", "style", "format", "split", "working_tokens"]);
        run.Json.GetProperty("out").GetString().Should().Be(file);
        run.Json.GetProperty("count").GetInt32().Should().Be(20);
        File.ReadAllText(file).Should().Contain("Q: ").And.Contain("A: ");
    }

    [Fact]
    public void An_unknown_style_is_an_error_naming_style()
    {
        var run = CliRun.Of("data", "arithmetic", "--style", "bogus", "--out", folder.File("never.txt"));

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Contain("--style").And.Contain("bogus");
        run.Stdout.Should().BeEmpty();
        File.Exists(folder.File("never.txt")).Should().BeFalse();
    }

    /// <inheritdoc />
    public void Dispose() => folder.Dispose();
}
