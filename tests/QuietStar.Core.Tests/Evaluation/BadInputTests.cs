using FluentAssertions;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Tests.Checkpoints;
using TorchSharp;
using Xunit;

namespace QuietStar.Core.Tests.Evaluation;

public sealed class BadInputTests : IDisposable
{
    private const string Good = """{"question": "How many?", "answer": "#### 4"}""";
    private readonly TempFolder folder = new();

    [Theory]
    [InlineData("{\"question\": \"How many?\", \"answer\": ")]
    [InlineData("""{"question": "How many?"}""")]
    [InlineData("""{"question": 3, "answer": "#### 4"}""")]
    [InlineData("""["question", "answer"]""")]
    [InlineData("""{"question": "How many?", "answer": "no final line"}""")]
    public void A_malformed_line_names_the_file_and_line(string badLine)
    {
        string path = Write("bad.jsonl", Good, "", badLine, Good);

        var act = () => new Gsm8kTask().Load(path, skipMalformed: false);

        act.Should().Throw<InvalidDataException>().WithMessage($"*'{path}' line 3 is malformed:*skipMalformed*");
    }

    [Fact]
    public void Malformed_lines_can_be_skipped_and_are_counted_in_the_result()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel();
        string path = Write("mixed.jsonl", Good, "{oops", Good, """{"answer": "#### 1"}""", Good);
        var evaluator = new AnswerProbabilityEvaluator(ScoringPass.For(lm), EvaluationFixtures.Tok512);

        var result = evaluator.Evaluate(new Gsm8kTask(), path, new AnswerProbabilityOptions { Thoughts = false, SequenceLength = 64, SkipMalformed = true });
        var cot = new ZeroShotCotEvaluator(_ => " 4").Evaluate(path, new ZeroShotCotOptions { Votes = 1, SkipMalformed = true });

        result.N.Should().Be(3);
        result.SkippedMalformed.Should().Be(2);
        cot.N.Should().Be(3);
        cot.SkippedMalformed.Should().Be(2);
        cot.Accuracy.Should().Be(1);
    }

    [Fact]
    public void An_empty_file_is_a_clear_error()
    {
        string empty = Write("empty.jsonl");
        string blank = Write("blank.jsonl", "", "   ");
        string allBad = Write("all-bad.jsonl", "{", "nope");

        var readEmpty = () => JsonlFile.Read(empty, Gsm8kTask.Parse);
        var readBlank = () => JsonlFile.Read(blank, Gsm8kTask.Parse);
        var readAllBad = () => JsonlFile.Read(allBad, Gsm8kTask.Parse, skipMalformed: true);
        var readMissing = () => JsonlFile.Read(Path.Combine(folder.Path, "missing.jsonl"), Gsm8kTask.Parse);

        readEmpty.Should().Throw<InvalidDataException>().WithMessage("*empty.jsonl' is empty*");
        readBlank.Should().Throw<InvalidDataException>().WithMessage("*blank.jsonl' is empty*");
        readAllBad.Should().Throw<InvalidDataException>().WithMessage("*no valid record: all 2 non-blank lines are malformed*");
        readMissing.Should().Throw<FileNotFoundException>().WithMessage("*missing.jsonl*");
    }

    [Fact]
    public void Asking_a_plain_model_to_think_fails_before_reading_any_data()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel();
        var forward = ScoringPass.For(lm);

        var answer = () => new AnswerProbabilityEvaluator(forward, EvaluationFixtures.Tok512)
            .Evaluate(new Gsm8kTask(), Path.Combine(folder.Path, "never-read.jsonl"), new AnswerProbabilityOptions { SequenceLength = 64 });
        var text = () => new TextNllEvaluator(forward, EvaluationFixtures.Tok512).Evaluate("Once upon a time.", new TextNllOptions { SequenceLength = 64 });

        answer.Should().Throw<InvalidOperationException>().WithMessage("*no thought tokens*");
        text.Should().Throw<InvalidOperationException>().WithMessage("*no thought tokens*");
    }

    [Fact]
    public void Options_out_of_range_name_the_option()
    {
        var answer = () => new AnswerProbabilityOptions { BatchSize = 0 }.Validate();
        var text = () => new TextNllOptions { HardFraction = 0 }.Validate();
        var cot = () => new ZeroShotCotOptions { Votes = 0 }.Validate();

        answer.Should().Throw<ArgumentException>().WithMessage("AnswerProbabilityOptions.BatchSize*");
        text.Should().Throw<ArgumentException>().WithMessage("TextNllOptions.HardFraction*");
        cot.Should().Throw<ArgumentException>().WithMessage("ZeroShotCotOptions.Votes*");
    }

    [Fact]
    public void Negative_seeds_are_accepted_as_everywhere_else()
    {
        // A seed is any long (docs/architecture.md, "Seeds"): torch's generator gets its 64 bits reinterpreted, as in
        // training, generation and exact match. These three evaluations used to refuse a negative one.
        var answer = () => new AnswerProbabilityOptions { Seed = -1 }.Validate();
        var text = () => new TextNllOptions { Seed = long.MinValue }.Validate();
        var cot = () => new ZeroShotCotOptions { Seed = -42 }.Validate();

        answer.Should().NotThrow();
        text.Should().NotThrow();
        cot.Should().NotThrow();
    }

    public void Dispose() => folder.Dispose();

    private string Write(string name, params string[] lines)
    {
        string path = folder.File(name);
        File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")));
        return path;
    }
}
