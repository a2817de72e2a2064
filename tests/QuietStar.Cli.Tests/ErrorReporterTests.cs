using FluentAssertions;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Inference;
using QuietStar.Core.Training;
using Xunit;

namespace QuietStar.Cli.Tests;

/// <summary>
/// The library's own validation messages, reported for a verb, name that verb's flags (the library names its
/// properties: <c>MaxTokens</c>, <c>TrainingOptions.SequenceLength</c>, …).
/// </summary>
public sealed class ErrorReporterTests
{
    public static TheoryData<string, Action, string> LibraryErrors => new()
    {
        { "generate", () => new GenerationOptions { MaxTokens = 0 }.Validate(), "error: --max-tokens must be positive, got 0." },
        { "generate", () => new GenerationOptions { Temperature = -1 }.Validate(), "error: --temperature must be a positive number, got -1; use --greedy for deterministic decoding." },
        { "generate", () => new GenerationOptions { TopP = 2 }.Validate(), "error: --top-p must be in (0, 1], got 2." },
        { "train", () => new TrainingOptions { SequenceLength = 1 }.Validate(), "error: --seq-len must be at least 2 tokens (got 1)." },
        { "train", () => new TrainingOptions { BatchSize = 0 }.Validate(), "error: --batch must be at least 1 (got 0)." },
        { "train", () => new TrainingOptions { Steps = 0 }.Validate(), "error: --steps must be at least 1 (got 0)." },
        { "train", () => new TrainingOptions { LearningRate = 0 }.Validate(), "error: --lr must be a positive number (got 0)." },
        { "train", () => new QuietStarOptions { TalkTokens = 0 }.Validate(), "error: --talk-tokens must be at least 1 (got 0)." },
        { "bench soak", () => new TrainingOptions { SequenceLength = 1 }.Validate(), "error: --seq-len must be at least 2 tokens (got 1)." },
        { "bench decode", () => new GenerationOptions { MaxTokens = 0 }.Validate(), "error: --max-tokens must be positive, got 0." },
        { "eval", () => new ExactMatchOptions { MaxTokens = 0 }.Validate(), "error: --max-tokens must be at least 1 (got 0)." },
        { "eval", () => new ExactMatchOptions { BatchSize = 0 }.Validate(), "error: --batch must be at least 1 (got 0)." },
        { "eval", () => new TextNllOptions { Limit = 0 }.Validate(), "error: --limit must be at least 1 when set (got 0)." },
        { "eval", () => new AnswerProbabilityOptions { SequenceLength = 2 }.Validate(), "error: --seq-len must be at least 3 (got 2)." },
    };

    [Theory]
    [MemberData(nameof(LibraryErrors))]
    public void A_library_message_names_the_flag_of_the_verb(string verb, Action fail, string expected)
    {
        var exception = Assert.ThrowsAny<ArgumentException>(fail);
        var stderr = new StringWriter();

        int exitCode = ErrorReporter.Report(exception, CliRun.Console(new StringWriter(), stderr), [.. verb.Split(' '), "--some-option", "1"]);

        exitCode.Should().Be(2);
        stderr.ToString().Trim().Should().Be(expected);
    }

    [Fact]
    public void Another_verb_leaves_the_message_as_the_library_wrote_it()
    {
        var exception = Assert.ThrowsAny<ArgumentException>(() => new GenerationOptions { MaxTokens = 0 }.Validate());
        var stderr = new StringWriter();

        ErrorReporter.Report(exception, CliRun.Console(new StringWriter(), stderr), ["inspect", "--text", "x"]);

        stderr.ToString().Trim().Should().Be("error: GenerationOptions.MaxTokens must be positive, got 0.");
    }
}
