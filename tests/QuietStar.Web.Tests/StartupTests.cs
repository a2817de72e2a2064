using FluentAssertions;
using Xunit;

namespace QuietStar.Web.Tests;

/// <summary>The app refuses to start on a bad model setting, with the problem named, instead of failing at the first request.</summary>
public sealed class StartupTests
{
    [Fact]
    public void A_missing_model_path_stops_the_start_with_the_path_named()
    {
        var start = () => QuietStarWeb.Build(["--urls=http://127.0.0.1:0", "--QuietStar:Model=/no/such/model"]);

        start.Should().Throw<FileNotFoundException>().WithMessage("*'/no/such/model'*");
    }
}
