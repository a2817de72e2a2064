using FluentAssertions;
using Xunit;

namespace QuietStar.Cli.Tests;

/// <summary><c>quietstar generate</c> end to end on the tiny trained checkpoint.</summary>
[Collection(TinyRunCollection.Name)]
public sealed class GenerateTests(TinyRun tiny)
{
    [Fact]
    public void Generates_greedily_from_the_checkpoint_with_thoughts()
    {
        var run = CliRun.Of("generate", "--model", tiny.Checkpoint, "--prompt", "the cat", "--greedy", "--max-tokens", "4", "--seed", "1");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Stderr.Should().Contain("thinking before every token: START, 2 thought tokens, END").And.MatchRegex(@"[0-4] tokens in ");
        run.Stdout.Should().NotContain("<|").And.NotContain("error");
    }

    [Fact]
    public void Takes_the_run_folder_train_wrote_as_model()
    {
        // Before: "error: Model configuration '…/run/config.json' does not exist."
        var run = CliRun.Of("generate", "--model", tiny.RunFolder, "--prompt", "the cat", "--greedy", "--max-tokens", "4", "--seed", "1");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Stderr.Should().Contain("thinking before every token");
    }

    [Theory]
    [InlineData("--max-tokens", "0")]
    [InlineData("--temperature", "0")]
    [InlineData("--top-p", "1.5")]
    [InlineData("--thought-tokens", "0")]
    public void A_bad_value_is_an_error_naming_the_flag(string flag, string value)
    {
        // Before: "MaxTokens must be positive, got 0.", "Temperature must be a positive number, …", "TopP must be in (0, 1], …".
        var run = CliRun.Of("generate", "--model", tiny.Checkpoint, "--prompt", "the cat", flag, value);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Contain($"{flag} must").And.NotContainAny("MaxTokens", "Temperature", "TopP");
    }

    [Fact]
    public void Too_many_tokens_for_the_context_is_an_error_naming_max_tokens()
    {
        // The library's check after loading: "The prompt has 3 tokens and MaxTokens is 5000: …".
        var run = CliRun.Of("generate", "--model", tiny.Checkpoint, "--prompt", "the cat", "--no-thoughts", "--greedy", "--max-tokens", "5000");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Contain("--max-tokens is 5000").And.NotContain("MaxTokens");
    }

    [Fact]
    public void An_unknown_option_is_an_error_naming_it_as_typed()
    {
        // Before: "Unknown option 'max-tokenz'."
        var run = CliRun.Of("generate", "--prompt", "x", "--max-tokenz", "4");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Be("error: Unknown option '--max-tokenz'.");
    }

    [Fact]
    public void A_value_of_the_wrong_type_is_an_error_naming_its_option()
    {
        // Before: "Failed to convert 'abc' to Int32."
        var run = CliRun.Of("generate", "--prompt", "x", "--max-tokens", "abc");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Be("error: --max-tokens 'abc' is not a valid whole number.");
    }

    [Fact]
    public void A_missing_required_option_is_named_with_its_dashes()
    {
        // Before: "Command 'generate' is missing required option 'prompt'."
        var run = CliRun.Of("generate", "--greedy");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Contain("missing required option '--prompt'");
    }
}
