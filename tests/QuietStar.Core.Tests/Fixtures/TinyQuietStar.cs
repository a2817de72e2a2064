using QuietStar.Core.Algorithm;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Fixtures;

/// <summary>Tiny Quiet-STaR models for invariant tests.</summary>
internal static class TinyQuietStar
{
    public static QuietStarOptions SmallOptions(ThoughtAttention attention = ThoughtAttention.Diagonal) => new()
    {
        ThoughtTokens = 3,
        TalkTokens = 2,
        Passes = 2,
        Attention = attention,
    };

    /// <summary>A tiny model equipped for Quiet-STaR; with <paramref name="liveHead"/> the mixing head's last layer is non-zero.</summary>
    public static QuietStarModel Create(QuietStarOptions options, long seed = 1, bool liveHead = false, ScalarType dtype = ScalarType.Float32)
    {
        var lm = TinyModels.Create(seed, dtype: dtype);
        var model = QuietStarModel.Create(lm, initTokenId: 5, options, new Generator((ulong)seed + 100));
        if (liveHead)
        {
            using var noGrad = torch.no_grad();
            foreach (var (name, p) in model.named_parameters().Where(p => p.name.StartsWith("talk_head.", StringComparison.Ordinal)))
            {
                p.normal_(0, 0.5, new Generator((ulong)seed + 200 + (ulong)name.Length));
            }
        }

        return model;
    }

    /// <summary>
    /// The objective's loss and every parameter gradient for <paramref name="ids"/> on a tiny live-head model (seed 11,
    /// policy weight 1, generator seed 21) under <paramref name="attention"/>: the two strategies compared by the tests.
    /// </summary>
    public static (double Loss, Dictionary<string, Tensor> Gradients) LossAndGradients(ThoughtAttention attention, Tensor ids, Tensor isReal, ScalarType dtype)
    {
        var options = SmallOptions(attention) with { PolicyLossWeight = 1.0 };
        var model = Create(options, seed: 11, liveHead: true, dtype: dtype);
        var result = new QuietStarObjective(model).Compute(ids, isReal, new Generator(21));
        result.Loss.backward();
        var grads = model.named_parameters()
            .Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        return (result.Loss.to_type(ScalarType.Float64).item<double>(), grads);
    }

    public static float MaxAbsDiff(Tensor a, Tensor b) => (float)(a - b).abs().max().to_type(ScalarType.Float64).item<double>();

    public static double MaxAbs(Tensor a) => a.abs().max().to_type(ScalarType.Float64).item<double>();
}
