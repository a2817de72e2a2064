using FluentAssertions;
using QuietStar.Core.Evaluation.Statistics;
using Xunit;

namespace QuietStar.Core.Tests.Evaluation;

public sealed class PairedBootstrapTests
{
    [Theory]
    [InlineData(0.30, 1)]
    [InlineData(-0.05, 2)]
    [InlineData(0.0, 3)]
    public void The_interval_contains_the_true_mean_difference(double trueDifference, int dataSeed)
    {
        var (first, second) = Paired(2_000, trueDifference, dataSeed);

        var result = PairedBootstrap.Compare(first, second, resamples: 2_000, seed: 11);

        result.Lower.Should().BeLessThan(trueDifference);
        result.Upper.Should().BeGreaterThan(trueDifference);
        result.MeanDifference.Should().BeApproximately(first.Zip(second, (a, b) => a - b).Average(), 1e-12);
        result.Upper.Should().BeGreaterThan(result.Lower);
        (result.Upper - result.Lower).Should().BeLessThan(0.2, "2,000 pairs of noise sd 1 give a CI of width about 0.09");
        result.N.Should().Be(2_000);
    }

    [Fact]
    public void A_clear_difference_excludes_zero_and_none_does_not()
    {
        var (first, second) = Paired(1_000, 0.5, 4);
        var (same, other) = Paired(1_000, 0.0, 5);

        PairedBootstrap.Compare(first, second, resamples: 1_000).ExcludesZero.Should().BeTrue();
        PairedBootstrap.Compare(same, other, resamples: 1_000).ExcludesZero.Should().BeFalse();
    }

    [Fact]
    public void The_same_seed_gives_the_same_interval_and_another_seed_another()
    {
        var (first, second) = Paired(500, 0.2, 6);

        var a = PairedBootstrap.Compare(first, second, resamples: 1_000, seed: 42);
        var b = PairedBootstrap.Compare(first, second, resamples: 1_000, seed: 42);
        var c = PairedBootstrap.Compare(first, second, resamples: 1_000, seed: 43);

        b.Should().Be(a);
        c.Lower.Should().NotBe(a.Lower);
    }

    [Fact]
    public void A_wider_confidence_gives_a_wider_interval()
    {
        var (first, second) = Paired(500, 0.2, 7);

        var ninety = PairedBootstrap.Compare(first, second, resamples: 2_000, confidence: 0.90);
        var ninetyNine = PairedBootstrap.Compare(first, second, resamples: 2_000, confidence: 0.99);

        (ninetyNine.Upper - ninetyNine.Lower).Should().BeGreaterThan(ninety.Upper - ninety.Lower);
    }

    [Fact]
    public void Unpaired_or_empty_values_are_refused()
    {
        var act = () => PairedBootstrap.Compare([1.0, 2.0], [1.0]);
        var empty = () => PairedBootstrap.Compare([], []);

        act.Should().Throw<ArgumentException>().WithMessage("*2 and 1*");
        empty.Should().Throw<ArgumentException>();
    }

    /// <summary>Per-item values of two systems: a shared item difficulty, independent noise, and a true shift.</summary>
    private static (double[] First, double[] Second) Paired(int n, double difference, int seed)
    {
        var random = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var first = new double[n];
        var second = new double[n];
        for (int i = 0; i < n; i++)
        {
            double difficulty = 3 + 2 * Normal();
            second[i] = difficulty + 0.7 * Normal();
            first[i] = difficulty + difference + 0.7 * Normal();
        }

        return (first, second);
    }
}
