using FluentAssertions;
using QuietStar.Core.Evaluation;
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
        // Expected width: each pair's difference is shift + 0.7·(N₁ − N₂), sd σ = 0.7·√2 = 0.990 (the shared difficulty
        // cancels), so the mean's standard error is σ/√2000 = 0.0221 and a 95% interval is 2·1.96·0.0221 = 0.0868 wide.
        // Spread of the observed width: the sample sd of 2,000 pairs is off by ~1/√(2n) = 1.6% (0.0014), and each
        // percentile of 2,000 resamples by √(0.025·0.975/2000)/φ(1.96) = 0.060 standard errors, so the width by
        // √2·0.060·0.0221 = 0.0019: together ~0.0024. ±10% (0.078…0.096) is ±3.6 of those sds, and still excludes a
        // 90% interval (0.0728) or a 99% one (0.114), i.e. a wrong tail or level.
        (result.Upper - result.Lower).Should().BeInRange(0.078, 0.096, "2,000 pairs of difference sd 0.99 give a 95% interval 0.0868 wide");
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
