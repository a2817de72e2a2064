using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Inference;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;
using Xunit;

namespace QuietStar.Core.Tests.Evaluation;

/// <summary>Exact match: reading the answer, comparing numbers, the interval, the prompt's end, and decoding end to end.</summary>
public sealed class ExactMatchTests
{
    [Theory]
    [InlineData(" 933", "933")]
    [InlineData("933\n", "933")]
    [InlineData(" 1,095 apples", "1095")]
    [InlineData("-12.5 degrees", "-12.5")]
    [InlineData("  42)", "42")]
    [InlineData("abc 933", null)]
    [InlineData("", null)]
    [InlineData(" (13,13,09)933", null)]
    public void The_answer_is_the_number_the_continuation_starts_with(string continuation, string? expected) =>
        ExactMatchEvaluator.ParseNumber(continuation).Should().Be(expected);

    [Theory]
    [InlineData("13,13,09)933", ")", "933")]
    [InlineData("13,13,09)933)", ")", null)]      // the last ")" counts: nothing after it
    [InlineData("13,13,09 933", ")", null)]       // no working's end: no answer
    [InlineData(" 933", null, "933")]
    public void With_an_answer_marker_the_answer_is_the_number_after_its_last_occurrence(string generated, string? after, string? expected) =>
        ExactMatchEvaluator.ReadAnswer(generated, after).Should().Be(expected);

    [Theory]
    [InlineData("933", "933", true)]
    [InlineData("933.0", "933", true)]
    [InlineData("933", "934", false)]
    [InlineData("93", "933", false)]
    [InlineData(null, "933", false)]
    [InlineData("1095", "1,095", true)]
    public void Answers_match_as_numbers(string? parsed, string expected, bool matches) =>
        ExactMatchEvaluator.Matches(parsed, expected).Should().Be(matches);

    [Theory]
    [InlineData(0, 8, 0.0, 0.32441)]      // the rule of three's neighbour: 1.96² / (8 + 1.96²)
    [InlineData(5, 10, 0.23659, 0.76341)]
    [InlineData(97, 100, 0.91548, 0.98972)]
    public void The_interval_is_wilsons(int successes, int n, double low, double high)
    {
        var (l, h) = ExactMatchEvaluator.WilsonInterval(successes, n);
        l.Should().BeApproximately(low, 1e-4);
        h.Should().BeApproximately(high, 1e-4);
    }

    [Fact]
    public void With_a_character_level_vocabulary_the_prompt_ends_with_the_space_before_the_first_answer_digit()
    {
        var tokenizer = TextTokenizer.FromSentencePiece(Stories260K.TokenizerPath);
        using var model = TinyModels.Create(vocab: 512);
        var evaluator = new ExactMatchEvaluator(QuietStarGenerator.For(model, tokenizer), tokenizer);

        int[] prompt = evaluator.Prompt(new Gsm8kProblem("What is 347 + 586?", "933"));

        tokenizer.Decode(prompt).Should().EndWith("A: ");
        tokenizer.Decode([prompt[^1]]).Trim().Should().BeEmpty("the last prompt token is the lone space the text writes before 933");
        prompt[0].Should().Be(tokenizer.BosId!.Value);
        tokenizer.Decode(prompt[^2..]).Should().Be(": ");
        tokenizer.Decode(evaluator.Prompt(new Gsm8kProblem("What is 347 + 586?", "933"), answerPrefix: "(")).Should().EndWith("A: (");
    }

    [Fact]
    public void Every_problem_is_scored_once_in_batches_and_the_interval_brackets_the_accuracy()
    {
        var tokenizer = TextTokenizer.FromSentencePiece(Stories260K.TokenizerPath);
        using var model = TinyModels.Create(vocab: 512);
        var evaluator = new ExactMatchEvaluator(QuietStarGenerator.For(model, tokenizer), tokenizer);
        var problems = Enumerable.Range(0, 5).Select(i => new Gsm8kProblem($"What is {i} + {i}?", $"{2 * i}")).ToArray();

        var result = evaluator.Evaluate(problems, new ExactMatchOptions { Thoughts = ThoughtOptions.None, MaxTokens = 4, BatchSize = 2 });

        result.N.Should().Be(5);
        result.Items.Should().HaveCount(5);
        result.Correct.Should().Be(result.Items.Count(i => i.Correct));
        result.Lower.Should().BeLessThanOrEqualTo(result.Accuracy);
        result.Upper.Should().BeGreaterThanOrEqualTo(result.Accuracy);
        result.Items.Should().OnlyContain(i => i.Thoughts.Count == 0);
    }

    [Fact]
    public void Think_then_speak_generation_carries_each_tokens_talk_step_and_thinks_every_m_tokens()
    {
        var tokenizer = TextTokenizer.FromSentencePiece(Stories260K.TokenizerPath);
        var options = new QuietStarOptions { ThoughtTokens = 2, TalkTokens = 3, Passes = 2, Decoding = ThoughtDecoding.ThinkThenSpeak };
        using var model = QuietStarModel.Create(TinyModels.Create(vocab: 512), initTokenId: 5, options, new Generator(3));
        var generator = QuietStarGenerator.For(model, tokenizer);

        var pieces = generator.Stream("Once", new GenerationOptions { MaxTokens = 8, Greedy = true, StopAtEos = false, Seed = 1 },
            new ThoughtOptions { IncludeThoughts = true }).ToArray();
        var everyToken = generator.Stream("Once", new GenerationOptions { MaxTokens = 8, Greedy = true, StopAtEos = false, Seed = 1 },
            new ThoughtOptions { IncludeThoughts = true, Decoding = ThoughtDecoding.EveryToken }).ToArray();

        pieces.Select(p => p.Thought!.TalkStep).Should().Equal(0, 1, 2, 0, 1, 2, 0, 1);
        pieces[1].Thought!.TokenIds.Should().Equal(pieces[0].Thought!.TokenIds, "the second token is spoken along the first token's thought");
        everyToken.Select(p => p.Thought!.TalkStep).Should().OnlyContain(s => s == 0);
        generator.TalkTokens(new ThoughtOptions()).Should().Be(3, "the model's own decoding mode and M");
        generator.TalkTokens(new ThoughtOptions { Decoding = ThoughtDecoding.EveryToken }).Should().Be(1);
    }
}
