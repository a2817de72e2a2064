using FluentAssertions;
using QuietStar.Core.Evaluation;
using Xunit;

namespace QuietStar.Core.Tests.Evaluation;

public sealed class ZeroShotCotTests
{
    [Theory]
    [InlineData(" 42.", 42L)]
    [InlineData(" $1,250 in total", 1250L)]
    [InlineData(" -3 degrees", 3L)]
    [InlineData(" 18.75 and then 4", 18L)]
    [InlineData(" 007", 7L)]
    [InlineData(" forty-two", null)]
    [InlineData("", null)]
    [InlineData(" 99999999999999999999999", null)]
    public void The_first_integer_is_read_with_commas_removed(string text, long? expected)
    {
        ZeroShotCotAnswers.FirstInteger(text).Should().Be(expected);
    }

    [Fact]
    public void The_majority_vote_counts_no_answer_as_a_vote_and_breaks_ties_by_first_vote()
    {
        ZeroShotCotAnswers.MajorityVote([5, 3, 5, null, 3, 5]).Should().Be(5);
        ZeroShotCotAnswers.MajorityVote([3, 5, 5, 3]).Should().Be(3);
        ZeroShotCotAnswers.MajorityVote([5, 3, 3, 5]).Should().Be(5);
        ZeroShotCotAnswers.MajorityVote([null, null, 7]).Should().BeNull();
        ZeroShotCotAnswers.MajorityVote([7]).Should().Be(7);
        var act = () => ZeroShotCotAnswers.MajorityVote([]);
        act.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData(" She has 3 apples.\nQ: Next question", " She has 3 apples.\n")]
    [InlineData(" a\n\n\nb\n\n\nc", " a\n\n\nb")]
    [InlineData(" a\n\n\nb", " a\n\n\nb")]
    [InlineData(" plain", " plain")]
    public void Reasoning_stops_at_a_new_question_or_the_second_triple_newline(string continuation, string expected)
    {
        ZeroShotCotAnswers.TruncateReasoning(continuation).Should().Be(expected);
    }

    [Fact]
    public void The_driver_prompts_as_the_reference_and_votes_over_the_samples()
    {
        var requests = new List<CotGenerationRequest>();
        // The reasoning rambles on into a new question; every third answer (counting over all questions) is 17, the others 18.
        string Generate(CotGenerationRequest request)
        {
            requests.Add(request);
            bool answerStep = request.Prompt.EndsWith("(arabic numerals) is", StringComparison.Ordinal);
            int vote = requests.Count / 2 - 1;
            return !answerStep ? " 16 - 3 - 4 = 9, 9 * 2 = 18.  \nQ: another" : vote % 3 == 2 ? " 17." : " $18 per day.";
        }

        var problems = new[] { new Gsm8kProblem("Janet has ducks.", "18"), new Gsm8kProblem("Second?", "-1000") };
        var progress = new RecordingProgress();
        var result = new ZeroShotCotEvaluator(Generate).Evaluate(problems, new ZeroShotCotOptions { Votes = 3, Seed = 100 }, progress);

        requests.Should().HaveCount(2 * 2 * 3);
        requests[0].Should().Be(new CotGenerationRequest("Q: Janet has ducks.\nA: Let's think step by step.", 384, 0.9, 100));
        requests[1].Should().Be(new CotGenerationRequest(
            "Q: Janet has ducks.\nA: Let's think step by step. 16 - 3 - 4 = 9, 9 * 2 = 18.\nTherefore, the answer (arabic numerals) is", 12, 0.9, 101));
        requests.Select(r => r.Seed).Should().OnlyHaveUniqueItems();
        result.Questions[0].Votes.Should().Equal(18L, 18L, 17L);
        result.Questions[0].Majority.Should().Be(18);
        result.Questions[0].Correct.Should().BeTrue();
        result.Questions[0].Transcripts[0].Should().EndWith("(arabic numerals) is $18 per day.");
        result.Questions[1].Gold.Should().Be(1000);
        result.Questions[1].Correct.Should().BeFalse();
        result.Accuracy.Should().Be(0.5);
        result.N.Should().Be(2);
        result.Task.Should().Be("gsm8k-cot");
        progress.Reports.Select(r => r.Completed).Should().Equal(1, 2);
    }

    [Fact]
    public void The_driver_reads_GSM8K_and_honours_the_limit()
    {
        int calls = 0;
        string Generate(CotGenerationRequest request) => ++calls % 2 == 1 ? " thinking" : " 18";

        var result = new ZeroShotCotEvaluator(Generate).Evaluate(EvaluationFixtures.Gsm8kPath, new ZeroShotCotOptions { Votes = 2, Limit = 3 });

        result.N.Should().Be(3);
        calls.Should().Be(12);
        result.Questions[0].Correct.Should().BeTrue("the first test problem's answer is 18");
        result.Accuracy.Should().BeApproximately(1.0 / 3, 1e-12);
    }
}
