using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Oracle;

/// <summary>
/// The library's objective against <see cref="ObjectiveOracle"/>: loss and every parameter gradient (START/END and the
/// mixing head included) in float64, with the library's own thought samples replayed, at P = 2 with right padding, a
/// live mixing head, base-loss weight 0.3, policy weight > 0, both attention strategies, both mixing spaces, normalised
/// and raw advantages.
/// </summary>
[Trait("Category", "Invariant")]
public sealed class ObjectiveOracleTests(ITestOutputHelper output)
{
    private const int Sequences = 2;
    private const int Length = 7;
    private const int Vocabulary = 40;
    private const double RelativeTolerance = 1e-10;
    private const double PolicyWeight = 3.0;

    // Row 1 is padded after 3 tokens: with M = 2 its reward positions t = 2, 3 cover padding only (unscored), t = 1 half.
    internal static readonly bool[][] Real = [[true, true, true, true, true, true, true], [true, true, true, false, false, false, false]];

    [Theory]
    [InlineData(ThoughtAttention.Diagonal, MixingSpace.Logits, false)]
    [InlineData(ThoughtAttention.Diagonal, MixingSpace.Logits, true)]
    [InlineData(ThoughtAttention.Diagonal, MixingSpace.Hidden, false)]
    [InlineData(ThoughtAttention.Diagonal, MixingSpace.Hidden, true)]
    [InlineData(ThoughtAttention.Masked, MixingSpace.Logits, false)]
    [InlineData(ThoughtAttention.Masked, MixingSpace.Logits, true)]
    [InlineData(ThoughtAttention.Masked, MixingSpace.Hidden, false)]
    [InlineData(ThoughtAttention.Masked, MixingSpace.Hidden, true)]
    public void Library_loss_and_every_gradient_equal_the_sequential_oracle(ThoughtAttention attention, MixingSpace space, bool normalize) =>
        AssertMatchesOracle(Options(attention, space, normalize), $"{attention}/{space}/normalised={normalize}");

    [Theory]
    [InlineData(3, true, true, false)]
    [InlineData(2, false, true, false)]
    [InlineData(2, true, false, false)]
    [InlineData(2, true, true, true)]
    public void Other_passes_baselines_clamps_and_tied_embeddings_match_the_oracle(int passes, bool clamp, bool meanBaseline, bool tied) =>
        AssertMatchesOracle(Options(ThoughtAttention.Diagonal, MixingSpace.Logits, normalize: true) with
        {
            Passes = passes,
            ClampNegativeAdvantages = clamp,
            MeanBaseline = meanBaseline,
        }, $"P={passes}/clamp={clamp}/mean baseline={meanBaseline}/tied={tied}", tied);

    /// <summary>
    /// Without padding the diagonal prefix mask is exactly causal, and branch attention takes SDPA's causal path (the
    /// sink key first, a dummy query row): the same oracle, every row real, with and without a padding mask passed.
    /// </summary>
    [Theory]
    [InlineData(MixingSpace.Logits, true)]
    [InlineData(MixingSpace.Hidden, false)]
    public void Unpadded_batches_through_the_causal_branch_path_match_the_oracle(MixingSpace space, bool passMask) =>
        AssertMatchesOracle(Options(ThoughtAttention.Diagonal, space, normalize: true), $"unpadded/{space}/mask passed={passMask}", padded: false, passMask: passMask);

    private void AssertMatchesOracle(QuietStarOptions options, string label, bool tied = false, bool padded = true, bool passMask = true)
    {
        using var scope = torch.NewDisposeScope();
        using var model = CreateModel(options, seed: 31, tied);
        var (ids, isReal) = padded ? Batch(seed: 32) : (TinyModels.RandomIds(Sequences, Length, Vocabulary, 32), torch.ones(Sequences, Length, dtype: ScalarType.Bool));
        var real = padded ? Real : Enumerable.Range(0, Sequences).Select(_ => Enumerable.Repeat(true, Length).ToArray()).ToArray();

        var library = new QuietStarObjective(model).Compute(ids, passMask ? isReal : null, new Generator(33));
        library.Loss.backward();
        var libraryGradients = Gradients(model);
        var components = library.Metrics();
        model.zero_grad();

        var oracle = ObjectiveOracle.Compute(model, options, ToArray(ids), real, ToArray3(library.Rollout.ThoughtIds), PolicyWeight);
        oracle.Loss.backward();
        var oracleGradients = Gradients(model);

        // The case is not degenerate: the head is live, the policy term and the padding-only positions are there.
        oracle.UnscoredRewardPositions.Should().Be(padded ? 2 * options.Passes : 0, "row 1's positions 2 and 3 see only padding, in both passes");
        oracle.ScoredMixingWeights.Max(Math.Abs).Should().BeGreaterThan(0.05, "the mixing head is live");
        Math.Abs(PolicyWeight * oracle.PolicyLoss).Should().BeGreaterThan(0.01 * oracle.LanguageModelingLoss, "the policy term matters");

        double lossError = Relative(library.Loss.item<double>(), oracle.Loss.item<double>());
        var errors = oracleGradients.ToDictionary(g => g.Key, g => RelativeMax(libraryGradients[g.Key], g.Value));
        var worst = errors.MaxBy(e => e.Value);
        output.WriteLine($"{label}: loss {oracle.Loss.item<double>():R}, max relative difference: loss {lossError:E2}, " +
            $"gradients {worst.Value:E2} ({worst.Key}); policy/LM {PolicyWeight * oracle.PolicyLoss / oracle.LanguageModelingLoss:F3}");

        lossError.Should().BeLessThan(RelativeTolerance);
        Relative(library.LanguageModeling.Loss.item<double>(), oracle.LanguageModelingLoss).Should().BeLessThan(RelativeTolerance);
        Relative(library.Policy.PolicyLoss.item<double>(), oracle.PolicyLoss).Should().BeLessThan(RelativeTolerance);
        libraryGradients.Keys.Should().BeEquivalentTo(oracleGradients.Keys);
        foreach (var (name, error) in errors)
        {
            error.Should().BeLessThan(RelativeTolerance, $"∂L/∂{name}");
        }

        foreach (string name in new[] { "thought_embeddings.start_embedding", "thought_embeddings.end_embedding", "talk_head.input.weight", "talk_head.output.weight" })
        {
            TinyQuietStar.MaxAbs(oracleGradients[name]).Should().BeGreaterThan(1e-6, $"{name} gets a gradient, so the comparison means something");
        }

        // The statistics follow the oracle's rules: scored positions only.
        Relative(library.Policy.AdvantageStd.item<double>(), oracle.AdvantageStd).Should().BeLessThan(RelativeTolerance);
        var advantage = library.Policy.Advantage.data<double>().ToArray();
        int n = Length - 1 - options.TalkTokens;
        for (int r = 0; r < oracle.Advantage.Length; r++)
        {
            for (int t = 0; t < n; t++)
            {
                advantage[(r * n) + t].Should().BeApproximately(oracle.Advantage[r][t], 1e-12 * (1 + Math.Abs(oracle.Advantage[r][t])), $"A[{r}, {t}]");
            }
        }

        var w = oracle.ScoredMixingWeights;
        double mean = w.Average();
        components.MixingWeightMean.Should().BeApproximately(mean, 1e-12);
        components.MixingWeightStd.Should().BeApproximately(Math.Sqrt(w.Average(v => (v - mean) * (v - mean))), 1e-12);
        components.MixingWeightMin.Should().BeApproximately(w.Min(), 1e-12);
        components.MixingWeightMax.Should().BeApproximately(w.Max(), 1e-12);
    }

    internal static QuietStarOptions Options(ThoughtAttention attention, MixingSpace space, bool normalize) => new()
    {
        ThoughtTokens = 3,
        TalkTokens = 2,
        Passes = 2,
        Attention = attention,
        MixingSpace = space,
        NormalizeAdvantages = normalize,
        BaseLossWeight = 0.3,
        PolicyLossWeight = PolicyWeight,
    };

    /// <summary>A float64 tiny model (dim 16, 2 layers, vocabulary 40 + START/END, untied unless asked) with a live mixing head and START ≠ END.</summary>
    internal static QuietStarModel CreateModel(QuietStarOptions options, long seed, bool tied = false)
    {
        var config = TinyModels.Config(tied: tied, vocab: Vocabulary) with { HiddenSize = 16, IntermediateSize = 24, MaxPositionEmbeddings = 64 };
        var lm = new CausalLanguageModel(config, dtype: ScalarType.Float64);
        lm.InitializeWeights(new Generator((ulong)seed), std: 0.3);
        var model = QuietStarModel.Create(lm, initTokenId: 5, options, new Generator((ulong)seed + 1));
        using var noGrad = torch.no_grad();
        var g = new Generator((ulong)seed + 2);
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.StartsWith("talk_head.", StringComparison.Ordinal))
            {
                p.normal_(0, 0.4, g);
            }
            else if (name.StartsWith("thought_embeddings.", StringComparison.Ordinal))
            {
                p.add_(torch.randn(p.shape, dtype: p.dtype, generator: g) * 0.003);  // e = 100·p moves by ~0.3
            }
        }

        return model;
    }

    internal static (Tensor Ids, Tensor IsReal) Batch(long seed)
    {
        var ids = TinyModels.RandomIds(Sequences, Length, Vocabulary, seed);                       // [B, L]
        var isReal = torch.tensor(Real.SelectMany(r => r).ToArray()).view(Sequences, Length);       // [B, L]
        return (ids.masked_fill(isReal.logical_not(), 2), isReal);                                   // padding = EOS
    }

    internal static Dictionary<string, Tensor> Gradients(QuietStarModel model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad?.clone() ?? torch.zeros_like(p.parameter));

    internal static double Relative(double actual, double expected) => Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300);

    /// <summary>max |a − e| / max |e| (0 when both are exactly 0).</summary>
    internal static double RelativeMax(Tensor actual, Tensor expected)
    {
        double difference = (actual - expected).abs().max().item<double>();
        double magnitude = expected.abs().max().item<double>();
        return difference == 0 ? 0 : difference / Math.Max(magnitude, 1e-300);
    }

    internal static long[][] ToArray(Tensor ids)
    {
        long[] flat = ids.cpu().contiguous().data<long>().ToArray();
        long columns = ids.shape[1];
        return [.. Enumerable.Range(0, (int)ids.shape[0]).Select(r => flat.Skip(r * (int)columns).Take((int)columns).ToArray())];
    }

    internal static long[][][] ToArray3(Tensor ids)
    {
        long[] flat = ids.cpu().contiguous().data<long>().ToArray();
        int rows = (int)ids.shape[0], length = (int)ids.shape[1], depth = (int)ids.shape[2];
        return [.. Enumerable.Range(0, rows).Select(r =>
            Enumerable.Range(0, length).Select(t => flat.Skip(((r * length) + t) * depth).Take(depth).ToArray()).ToArray())];
    }
}
