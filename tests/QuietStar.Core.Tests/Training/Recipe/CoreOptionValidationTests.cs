using FluentAssertions;
using QuietStar.Core.Algorithm;
using Xunit;

namespace QuietStar.Core.Tests.Training.Recipe;

/// <summary>
/// Out-of-range values of the core algorithm options (issue 13): each is refused by <see cref="QuietStarOptions.Validate"/>
/// with an <see cref="ArgumentException"/> whose parameter and message name the option.
/// </summary>
public sealed class CoreOptionValidationTests
{
    public static TheoryData<string, QuietStarOptions> InvalidCoreOptions => new()
    {
        { "GumbelTemperature", new QuietStarOptions { GumbelTemperature = 0 } },
        { "GumbelTemperature", new QuietStarOptions { GumbelTemperature = -1 } },
        { "GumbelTemperature", new QuietStarOptions { GumbelTemperature = double.NaN } },
        { "BaseLossWeight", new QuietStarOptions { BaseLossWeight = -0.01 } },
        { "BaseLossWeight", new QuietStarOptions { BaseLossWeight = 1.01 } },
        { "BaseLossWeight", new QuietStarOptions { BaseLossWeight = double.NaN } },
        { "PolicyLossWeight", new QuietStarOptions { PolicyLossWeight = double.NaN } },
        { "PolicyLossWeight", new QuietStarOptions { PolicyLossWeight = double.PositiveInfinity } },
        { "ThoughtEmbeddingGradientScale", new QuietStarOptions { ThoughtEmbeddingGradientScale = 0 } },
        { "ThoughtEmbeddingGradientScale", new QuietStarOptions { ThoughtEmbeddingGradientScale = -100 } },
        { "ThoughtEmbeddingGradientScale", new QuietStarOptions { ThoughtEmbeddingGradientScale = double.NaN } },
        { "StartThoughtToken", new QuietStarOptions { StartThoughtToken = "<|t|>", EndThoughtToken = "<|t|>" } },
    };

    [Theory]
    [MemberData(nameof(InvalidCoreOptions))]
    public void Invalid_core_options_are_refused_naming_the_option(string option, QuietStarOptions options)
    {
        var act = options.Validate;

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == option && e.Message.Contains($"QuietStarOptions.{option}"));
    }

    [Fact]
    public void Equal_start_and_end_strings_are_refused_naming_both_options()
    {
        var options = new QuietStarOptions { StartThoughtToken = "<|t|>", EndThoughtToken = "<|t|>" };

        var act = options.Validate;

        act.Should().Throw<ArgumentException>().Where(e => e.Message.Contains("StartThoughtToken") && e.Message.Contains("EndThoughtToken"));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void Base_loss_weight_at_either_end_of_the_interval_is_valid(double weight)
    {
        var options = new QuietStarOptions { BaseLossWeight = weight };

        options.Invoking(o => o.Validate()).Should().NotThrow();
    }
}
