using System.Text.Json;
using FluentAssertions;
using QuietStar.Core.Evaluation;
using Xunit;

namespace QuietStar.Core.Tests.Evaluation;

public sealed class TaskFormattingTests
{
    [Fact]
    public void Gsm8k_is_question_then_final_number()
    {
        string line = File.ReadLines(EvaluationFixtures.Gsm8kPath).First();
        var formatted = new Gsm8kTask().Format(JsonDocument.Parse(line).RootElement);

        formatted.Prompt.Should().StartWith("Q: Janet\u2019s ducks lay 16 eggs per day.").And.EndWith("at the farmers' market?\nA:");
        formatted.Answer.Should().Be(" 18\n");
        formatted.Text.Should().Be(formatted.Prompt + " 18\n");
    }

    [Fact]
    public void Gsm8k_strips_thousands_commas_and_keeps_the_sign()
    {
        var task = new Gsm8kTask();
        Format(task, """{"question": "How much?", "answer": "So 1,000 + 250 = 1,250.\n#### 1,250"}""")
            .Text.Should().Be("Q: How much?\nA: 1250\n");
        Format(task, """{"question": "And now?", "answer": "#### -3"}""").Text.Should().Be("Q: And now?\nA: -3\n");
    }

    [Theory]
    [InlineData("The answer is 5.")]
    [InlineData("#### five")]
    [InlineData("#### ")]
    public void Gsm8k_without_a_final_number_is_malformed(string answer)
    {
        var act = () => Gsm8kTask.FinalAnswer(answer);

        act.Should().Throw<FormatException>();
    }

    [Fact]
    public void CommonsenseQa_lists_the_choices_then_the_letter()
    {
        string line = File.ReadLines(EvaluationFixtures.CommonsenseQaPath).First();
        var formatted = new CommonsenseQaTask().Format(JsonDocument.Parse(line).RootElement);

        formatted.Text.Should().Be(
            "Q: A revolving door is convenient for two direction travel, but it also serves as a security measure at a what?\n" +
            "(A) bank\n(B) library\n(C) department store\n(D) mall\n(E) new york\nA: A\n");
        formatted.Answer.Should().Be(" A\n");
    }

    [Theory]
    [InlineData("""{"answerKey": "F", "question": {"stem": "s", "choices": [{"label": "A", "text": "a"}, {"label": "B", "text": "b"}, {"label": "C", "text": "c"}, {"label": "D", "text": "d"}, {"label": "E", "text": "e"}]}}""")]
    [InlineData("""{"answerKey": "A", "question": {"stem": "s", "choices": [{"label": "A", "text": "a"}, {"label": "B", "text": "b"}]}}""")]
    [InlineData("""{"answerKey": "A", "question": {"choices": []}}""")]
    [InlineData("""{"answerKey": 1, "question": {"stem": "s", "choices": []}}""")]
    public void CommonsenseQa_rejects_records_it_cannot_format(string record)
    {
        var act = () => Format(new CommonsenseQaTask(), record);

        act.Should().Throw<FormatException>();
    }

    [Fact]
    public void Tasks_are_created_by_name_and_an_unknown_name_lists_the_known_ones()
    {
        EvaluationTasks.Create("gsm8k").Should().BeOfType<Gsm8kTask>();
        EvaluationTasks.Create("CommonsenseQA").Should().BeOfType<CommonsenseQaTask>();

        var act = () => EvaluationTasks.Create("mmlu");

        act.Should().Throw<ArgumentException>().WithMessage("*\"mmlu\"*Known tasks: gsm8k, commonsenseqa*");
    }

    private static FormattedQuestion Format(IAnswerProbabilityTask task, string record) => task.Format(JsonDocument.Parse(record).RootElement);
}
