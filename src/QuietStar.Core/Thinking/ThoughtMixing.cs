using QuietStar.Core.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Thinking;

/// <summary>
/// The mixing rule shared by training and decoding: w = head(h_base, h_thought), then the model's
/// mixing space: <c>(1 − w)·z_base + w·lm_head(h_thought)</c> or <c>lm_head((1 − w)·h_base + w·h_thought)</c>.
/// </summary>
internal static class ThoughtMixing
{
    /// <summary>Mixes the base prediction for a target with the prediction after a thought.</summary>
    /// <param name="model">The Quiet-STaR model (mixing head, classifier).</param>
    /// <param name="space">Where to mix (the options in force: the model's, or an evaluation override).</param>
    /// <param name="baseHidden">Base hidden states aligned with the target, <c>[..., H]</c>.</param>
    /// <param name="baseLogits">z_base = lm_head(<paramref name="baseHidden"/>), <c>[..., V]</c>; called only when mixing in logit space.</param>
    /// <param name="thoughtHidden">Hidden states after the thought, <c>[..., H]</c>.</param>
    /// <returns>The mixed logits <c>[..., V]</c> and w <c>[..., 1]</c>.</returns>
    /// <remarks>
    /// The intermediates (the two weighted logits <c>[..., V]</c>, and the base and thought logits unless the autograd
    /// graph keeps them for backward) are released on return rather than with the caller's scope.
    /// </remarks>
    public static (Tensor Logits, Tensor Weight) Mix(QuietStarModel model, MixingSpace space, Tensor baseHidden, Func<Tensor> baseLogits, Tensor thoughtHidden)
    {
        var lm = model.LanguageModel;
        using var scope = torch.NewDisposeScope();
        var w = model.MixingHead.ComputeWeight(baseHidden, thoughtHidden);                 // [..., 1]
        var logits = space == MixingSpace.Logits
            ? (1 - w) * baseLogits() + w * lm.ComputeLogits(thoughtHidden)                 // [..., V]
            : lm.ComputeLogits((1 - w) * baseHidden + w * thoughtHidden);
        return scope.MoveToOuter(logits, w);
    }
}
