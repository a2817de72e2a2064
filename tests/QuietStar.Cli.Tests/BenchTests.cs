using FluentAssertions;
using Xunit;

namespace QuietStar.Cli.Tests;

/// <summary>The <c>bench</c> verbs' option checks (the benchmarks themselves are not run by the tests: they take minutes).</summary>
public sealed class BenchTests
{
    [Theory]
    [InlineData("train", "--attention", "sideways", "--attention")]
    [InlineData("decode", "--max-tokens", "0", "--max-tokens")]
    [InlineData("soak", "--passes", "1", "--passes")]
    public void A_bad_value_is_an_error_naming_the_flag(string verb, string flag, string value, string named)
    {
        var run = CliRun.Of("bench", verb, flag, value);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Contain(named);
        run.Stdout.Should().BeEmpty();
    }
}
