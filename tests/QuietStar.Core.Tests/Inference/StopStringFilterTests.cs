using FluentAssertions;
using QuietStar.Core.Inference;
using Xunit;

namespace QuietStar.Core.Tests.Inference;

public sealed class StopStringFilterTests
{
    [Fact]
    public void Text_that_may_start_a_stop_string_is_held_back_until_settled()
    {
        var filter = new StopStringFilter(["<end>"]);

        filter.Push("abc<e").Should().Be("abc");
        filter.Push("x").Should().Be("<ex", "\"<ex\" cannot begin \"<end>\"");
        filter.Push("<en").Should().Be("");
        filter.Push("d> tail").Should().Be("");
        filter.Stopped.Should().BeTrue();
        filter.Push("more").Should().Be("");
    }

    [Fact]
    public void A_stop_string_split_over_pieces_is_found_and_the_text_before_it_released()
    {
        var filter = new StopStringFilter(["girl named"]);

        string released = filter.Push("a little gi") + filter.Push("rl na") + filter.Push("med Lily");

        released.Should().Be("a little ");
        filter.Stopped.Should().BeTrue();
    }

    [Fact]
    public void Finish_releases_held_text_and_without_stop_strings_everything_passes_at_once()
    {
        var filter = new StopStringFilter(["STOP"]);
        filter.Push("the ST").Should().Be("the ");
        filter.Finish("").Should().Be("ST");
        filter.Stopped.Should().BeFalse();

        var none = new StopStringFilter([]);
        none.Push("anything").Should().Be("anything");
    }

    [Fact]
    public void The_earliest_of_several_stop_strings_wins()
    {
        var filter = new StopStringFilter(["world", "lo w"]);

        filter.Push("hello world").Should().Be("hel");
    }
}
