using FluentAssertions;
using QuietStar.Core.Model;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Model;

/// <summary>
/// The backbone's hand-written backward passes against autograd on the plain formula, in float64: outputs and
/// every input gradient agree to rounding.
/// </summary>
public sealed class CustomAutogradFunctionTests
{
    private const double Tolerance = 1e-12;

    [Fact]
    public void Recomputed_swiglu_equals_autograd_in_output_and_every_gradient()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(41);
        Tensor Leaf(params long[] shape) => torch.randn(shape, dtype: ScalarType.Float64, generator: generator).requires_grad_(true);
        var (x, gate, up, down) = (Leaf(2, 5, 6), Leaf(7, 6), Leaf(7, 6), Leaf(6, 7));
        var upstream = torch.randn([2, 5, 6], dtype: ScalarType.Float64, generator: generator);

        var custom = RecomputedSwiGlu.apply(x, gate, up, down);                                          // [2, 5, 6]
        var customGrads = torch.autograd.grad([(custom * upstream).sum()], [x, gate, up, down]);
        var plain = nn.functional.linear(nn.functional.silu(nn.functional.linear(x, gate)) * nn.functional.linear(x, up), down);
        var plainGrads = torch.autograd.grad([(plain * upstream).sum()], [x, gate, up, down]);

        MaxRelative(custom, plain).Should().BeLessThan(Tolerance);
        for (int i = 0; i < 4; i++)
        {
            MaxRelative(customGrads[i], plainGrads[i]).Should().BeLessThan(Tolerance, $"gradient {i}");
        }
    }

    [Fact]
    public void Branch_keys_attention_equals_autograd_on_stacked_blocks_in_outputs_and_every_gradient()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(42);
        Tensor Leaf(params long[] shape) => torch.randn(shape, dtype: ScalarType.Float64, generator: generator).requires_grad_(true);
        const int blocks = 3;
        const double scale = 0.4;
        var q = Leaf(2, 2, 5, 3, 4);                                                                     // [B, nKV, L, g, D]
        var keys = Enumerable.Range(0, blocks).Select(_ => Leaf(2, 2, 5, 4)).ToList();                    // n × [B, nKV, L, D]
        var values = Enumerable.Range(0, blocks).Select(_ => Leaf(2, 2, 5, 4)).ToList();
        var (upLse, upOut) = (torch.randn([2, 2, 5, 3, 1], dtype: ScalarType.Float64, generator: generator),
            torch.randn([2, 2, 5, 3, 4], dtype: ScalarType.Float64, generator: generator));
        Tensor[] inputs = [q, .. keys, .. values];

        var custom = BranchKeysAttention.apply([q, scale, .. keys, .. values]);
        var customGrads = torch.autograd.grad([(custom[0] * upLse).sum() + (custom[1] * upOut).sum()], inputs);

        var scores = torch.matmul(q, torch.stack(keys, dim: 3).transpose(-1, -2)) * scale;            // [B, nKV, L, g, n]
        var lse = scores.logsumexp(-1, keepdim: true);
        var output = torch.matmul(scores.softmax(-1), torch.stack(values, dim: 3));                    // [B, nKV, L, g, D]
        var plainGrads = torch.autograd.grad([(lse * upLse).sum() + (output * upOut).sum()], inputs);

        MaxRelative(custom[0], lse).Should().BeLessThan(Tolerance);
        MaxRelative(custom[1], output).Should().BeLessThan(Tolerance);
        for (int i = 0; i < inputs.Length; i++)
        {
            MaxRelative(customGrads[i], plainGrads[i]).Should().BeLessThan(Tolerance, $"gradient of input {i}");
        }
    }

    [Fact]
    public void Recomputed_rms_norm_equals_autograd_in_output_and_every_gradient()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(43);
        Tensor Leaf(params long[] shape) => torch.randn(shape, dtype: ScalarType.Float64, generator: generator).requires_grad_(true);
        var (x, gain) = (Leaf(2, 5, 6), Leaf(6));
        var upstream = torch.randn([2, 5, 6], dtype: ScalarType.Float64, generator: generator);

        var custom = RecomputedRmsNorm.apply(x, gain, Eps);                                             // [2, 5, 6]
        var customGrads = torch.autograd.grad([(custom * upstream).sum()], [x, gain]);
        var plain = PlainNorm(x, gain);
        var plainGrads = torch.autograd.grad([(plain * upstream).sum()], [x, gain]);

        AssertSame(custom, plain, customGrads, plainGrads);
    }

    [Fact]
    public void Outside_a_single_backward_scope_the_saved_tensors_stay_and_backward_may_run_twice()
    {
        using var scope = torch.NewDisposeScope();
        var (x, gain) = NormInputs(45);
        var loss = RecomputedRmsNorm.apply(x, gain, Eps).sum();

        loss.backward(retain_graph: true);
        var first = x.grad!.clone();
        loss.backward();

        MaxRelative(x.grad!, first * 2).Should().BeLessThan(Tolerance, "the second backward adds the same gradient again");
    }

    [Fact]
    public void In_a_single_backward_scope_the_saved_tensors_are_released_and_a_second_backward_gives_NaN_not_a_crash()
    {
        // BackwardStash reaches TorchSharp's private list of saved variables to free them as soon as backward has used
        // them (otherwise they live until the whole graph is freed). If a TorchSharp upgrade renames the field, the memory
        // saving silently stops: this test says so instead.
        typeof(torch.autograd.AutogradContext).GetField("_savedVariables",
            System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance).Should().NotBeNull();

        using var scope = torch.NewDisposeScope();
        var (x, gain) = NormInputs(46);
        Tensor loss;
        using (BackwardStash.SingleBackward())
        {
            loss = RecomputedRmsNorm.apply(x, gain, Eps).sum();
        }

        loss.backward(retain_graph: true);
        bool firstFinite = x.grad!.isfinite().all().item<bool>();
        loss.backward();                                                     // an exception here would end the process

        firstFinite.Should().BeTrue();
        x.grad!.isnan().all().item<bool>().Should().BeTrue("a released node has no values left; NaN says so");
    }

    private static (Tensor X, Tensor Gain) NormInputs(ulong seed)
    {
        var generator = new Generator(seed);
        var x = torch.randn([3, 4], dtype: ScalarType.Float64, generator: generator).requires_grad_(true);
        var gain = torch.randn([4], dtype: ScalarType.Float64, generator: generator).requires_grad_(true);
        return (x, gain);
    }

    [Fact]
    public void Normed_projections_equal_autograd_on_norm_then_linears_in_output_and_every_gradient()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(44);
        Tensor Leaf(params long[] shape) => torch.randn(shape, dtype: ScalarType.Float64, generator: generator).requires_grad_(true);
        var (x, gain, wq, wk, wv) = (Leaf(2, 5, 6), Leaf(6), Leaf(8, 6), Leaf(4, 6), Leaf(4, 6));
        var upstream = torch.randn([2, 5, 16], dtype: ScalarType.Float64, generator: generator);
        Tensor[] inputs = [x, gain, wq, wk, wv];

        var custom = NormedProjections.apply(x, gain, Eps, wq, wk, wv);                                 // [2, 5, 16]
        var customGrads = torch.autograd.grad([(custom * upstream).sum()], inputs);
        var normed = PlainNorm(x, gain);
        var plain = torch.cat([nn.functional.linear(normed, wq), nn.functional.linear(normed, wk), nn.functional.linear(normed, wv)], dim: -1);
        var plainGrads = torch.autograd.grad([(plain * upstream).sum()], inputs);

        AssertSame(custom, plain, customGrads, plainGrads);
    }

    [Fact]
    public void Normed_swiglu_equals_autograd_on_norm_then_swiglu_in_output_and_every_gradient()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(45);
        Tensor Leaf(params long[] shape) => torch.randn(shape, dtype: ScalarType.Float64, generator: generator).requires_grad_(true);
        var (h, gain, gate, up, down) = (Leaf(2, 5, 6), Leaf(6), Leaf(7, 6), Leaf(7, 6), Leaf(6, 7));
        var upstream = torch.randn([2, 5, 6], dtype: ScalarType.Float64, generator: generator);
        Tensor[] inputs = [h, gain, gate, up, down];

        var custom = NormedSwiGlu.apply(h, gain, Eps, gate, up, down);                                  // [2, 5, 6]
        var customGrads = torch.autograd.grad([(custom * upstream).sum()], inputs);
        var x = PlainNorm(h, gain);
        var plain = nn.functional.linear(nn.functional.silu(nn.functional.linear(x, gate)) * nn.functional.linear(x, up), down);
        var plainGrads = torch.autograd.grad([(plain * upstream).sum()], inputs);

        AssertSame(custom, plain, customGrads, plainGrads);
    }

    private const double Eps = 1e-5;

    /// <summary>RMSNorm written out for autograd: gain ⊙ x / √(mean(x²) + ε).</summary>
    private static Tensor PlainNorm(Tensor x, Tensor gain) => gain * (x * (x.square().mean([-1L], keepdim: true) + Eps).rsqrt());

    private static void AssertSame(Tensor custom, Tensor plain, IList<Tensor> customGrads, IList<Tensor> plainGrads)
    {
        MaxRelative(custom, plain).Should().BeLessThan(Tolerance);
        for (int i = 0; i < plainGrads.Count; i++)
        {
            MaxRelative(customGrads[i], plainGrads[i]).Should().BeLessThan(Tolerance, $"gradient of input {i}");
        }
    }

    private static double MaxRelative(Tensor actual, Tensor expected) =>
        ((actual - expected).abs().max() / expected.abs().max()).item<double>();
}
