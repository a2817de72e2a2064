using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Training;

/// <summary>The plain language-modelling loss (no thoughts): next-token NLL over real targets.</summary>
internal static class NextTokenLoss
{
    private const long Ignore = -100;

    /// <summary>
    /// −log p(x_{t+1} | x_{≤t}) for ids <c>[B, L]</c>: <c>[B, L−1]</c>, 0 where the target is padding. The logits
    /// <c>[B, L, V]</c> are released on return (backward needs only the log-softmax the graph keeps).
    /// </summary>
    public static Tensor TokenNll(CausalLanguageModel model, Tensor ids, Tensor isReal)
    {
        using var scope = torch.NewDisposeScope();
        var output = model.call(new ModelInput { InputIds = ids, Attention = AttentionSpec.CausalWithPadding(isReal) }); // logits [B, L, V]
        var labels = ids.masked_fill(isReal.logical_not(), Ignore);                                                       // [B, L]
        return NonMyopicLoss.TokenNll(output.Logits!, labels, shift: 0).MoveToOuterDisposeScope();                       // [B, L−1]
    }

    /// <summary>Mean of <paramref name="tokenNll"/> <c>[B, L−1]</c> over real targets (scalar).</summary>
    public static Tensor Mean(Tensor tokenNll, Tensor isReal) =>
        tokenNll.sum() / isReal.narrow(1, 1, tokenNll.shape[1]).sum().clamp_min(1);
}
