using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Fixtures;
using Xunit;

namespace QuietStar.Core.Tests.Training.Recipe;

/// <summary>Bad values of the options beyond the reference fail validation with a message that names the option.</summary>
public sealed class RecipeOptionValidationTests
{
    public static TheoryData<string, QuietStarOptions> InvalidAlgorithmOptions => new()
    {
        { "ThoughtEntropyWeight", new QuietStarOptions { ThoughtEntropyWeight = -0.01 } },
        { "ThoughtEntropyWeight", new QuietStarOptions { ThoughtEntropyWeight = double.NaN } },
        { "ThoughtEntropyWeight", new QuietStarOptions { ThoughtEntropyWeight = double.PositiveInfinity } },
        { "ThoughtKlWeight", new QuietStarOptions { ThoughtKlWeight = -1 } },
        { "ThoughtKlWeight", new QuietStarOptions { ThoughtKlWeight = double.NaN } },
        { "ThoughtKlWeight", new QuietStarOptions { ThoughtKlWeight = double.PositiveInfinity } },
        { "PolicyWeightWarmupSteps", new QuietStarOptions { PolicyWeightWarmupSteps = -1 } },
    };

    [Theory]
    [MemberData(nameof(InvalidAlgorithmOptions))]
    public void Invalid_recipe_options_fail_validation_naming_the_option(string option, QuietStarOptions options)
    {
        var act = options.Validate;

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == option && e.Message.Contains($"QuietStarOptions.{option}"));
    }

    [Fact]
    public void Recipe_options_in_range_are_valid()
    {
        var options = new QuietStarOptions
        {
            NormalizeAdvantages = true,
            ThoughtEntropyWeight = 0.01,
            ThoughtKlWeight = 0.1,
            PolicyWeightWarmupSteps = 100,
            PolicyLossWeight = 1,
        };

        options.Invoking(o => o.Validate()).Should().NotThrow();
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(5, true)]
    public void Invalid_plain_language_model_steps_fail_naming_the_option(int steps, bool noThoughts)
    {
        var options = TinyTraining.Options with { PlainLanguageModelSteps = steps, NoThoughts = noThoughts };

        var act = options.Validate;

        act.Should().Throw<ArgumentException>()
            .Where(e => e.ParamName == "PlainLanguageModelSteps" && e.Message.Contains("TrainingOptions.PlainLanguageModelSteps"));
    }
}
