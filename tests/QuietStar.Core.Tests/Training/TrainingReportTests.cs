using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Training;
using Xunit;

namespace QuietStar.Core.Tests.Training;

public sealed class TrainingReportTests
{
    private static TrainingReport Report(StepMetrics components) => new()
    {
        StartStep = 0,
        Steps = 2,
        Seconds = 1.5,
        Tokens = 128,
        NoThoughts = false,
        FinalMetrics = components,
    };

    [Fact]
    public void ToString_prints_the_talk_NLL_list_as_numbers()
    {
        var components = StepMetrics.PlainLanguageModel(2.5) with { TalkNll = [2.25, 2.5] };

        string text = Report(components).ToString();

        text.Should().Contain("TalkNll = [2.25, 2.5]").And.NotContain("z__ReadOnlyList").And.NotContain("System.Double");
    }

    [Fact]
    public void Components_with_equal_talk_NLLs_are_equal()
    {
        var a = StepMetrics.PlainLanguageModel(2.5) with { TalkNll = [2.25, 2.5] };
        var b = a with { TalkNll = new List<double> { 2.25, 2.5 } };

        b.Should().Be(a);
        b.TalkNll.Should().Equal(2.25, 2.5);
    }
}
