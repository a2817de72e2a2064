using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// The reference's LM loss (<c>first_and_last_mode</c>): <c>w·mean(NLL_base) + (1−w)/M·Σ_s mean(NLL_s)</c>, each mean
/// over real targets only (<c>loss_mean</c>: the sum over the count of non-ignored entries).
/// </summary>
internal sealed class NonMyopicLoss : ITeacherForcingLoss
{
    /// <summary>The target id cross-entropy skips (padding), as PyTorch's default <c>ignore_index</c>.</summary>
    internal const long Ignore = -100;

    /// <inheritdoc />
    public TeacherForcingResult Compute(Tensor baseLogits, IReadOnlyList<Tensor> talkLogits, Tensor targets, Tensor targetIsReal, double baseLossWeight)
    {
        ArgumentNullException.ThrowIfNull(talkLogits);
        if (talkLogits.Count == 0)
        {
            throw new ArgumentException("At least one talk prediction is needed.", nameof(talkLogits));
        }

        var labels = targets.masked_fill(targetIsReal.logical_not(), Ignore);         // [R, L]
        var baseNll = TokenNll(baseLogits, labels, shift: 0);                          // [R, L−1]
        var talkNll = talkLogits.Select((logits, s) => TokenNll(logits, labels, s)).ToList(); // s → [R, L−1−s]
        var baseLoss = MeanOverReal(baseNll, labels, 0);
        var talkLosses = talkNll.Select((nll, s) => MeanOverReal(nll, labels, s)).ToList();
        var loss = baseLoss * baseLossWeight + torch.stack(talkLosses).sum() * ((1 - baseLossWeight) / talkLosses.Count);
        return new TeacherForcingResult(baseNll, talkNll, baseLoss, talkLosses, loss) { TargetIsReal = targetIsReal };
    }

    /// <summary>
    /// NLL of logits[:, t] against labels[:, t+1+shift] for t = 0..L−2−shift; 0 where ignored. The reshaped copy of
    /// the logits <c>[R·n, V]</c> is released on return (the graph keeps the log-softmax it needs for backward).
    /// </summary>
    internal static Tensor TokenNll(Tensor logits, Tensor labels, int shift)
    {
        long rows = logits.shape[0], length = logits.shape[1], vocab = logits.shape[2], n = length - 1 - shift;
        if (n <= 0)
        {
            throw new ArgumentException($"Sequences of {length} tokens are too short to score {shift + 1} token(s) ahead.");
        }

        using var scope = torch.NewDisposeScope();
        var scored = Precision.AtLeastFloat32(logits.narrow(1, 0, n).reshape(rows * n, vocab));                 // [R·n, V]
        var target = labels.narrow(1, 1 + shift, n).reshape(rows * n);                              // [R·n]
        return nn.functional.cross_entropy(scored, target, ignore_index: Ignore, reduction: nn.Reduction.None)
            .view(rows, n)                                                                          // [R, n]
            .MoveToOuterDisposeScope();
    }

    private static Tensor MeanOverReal(Tensor nll, Tensor labels, int shift)
    {
        var real = labels.narrow(1, 1 + shift, nll.shape[1]).ne(Ignore);                            // [R, n]
        return nll.sum() / real.sum().clamp_min(1);
    }
}

/// <summary>The plain language-modelling loss (no thoughts): next-token NLL over real targets.</summary>
internal static class NextTokenLoss
{
    /// <summary>
    /// −log p(x_{t+1} | x_{≤t}) for ids <c>[B, L]</c>: <c>[B, L−1]</c>, 0 where the target is padding. The logits
    /// <c>[B, L, V]</c> are released on return (backward needs only the log-softmax the graph keeps).
    /// </summary>
    public static Tensor TokenNll(CausalLanguageModel model, Tensor ids, Tensor isReal)
    {
        using var scope = torch.NewDisposeScope();
        var output = model.Forward(new ModelInput { InputIds = ids, Attention = AttentionSpec.CausalWithPadding(isReal) }); // logits [B, L, V]
        var labels = ids.masked_fill(isReal.logical_not(), NonMyopicLoss.Ignore);                                                       // [B, L]
        return NonMyopicLoss.TokenNll(output.Logits!, labels, shift: 0).MoveToOuterDisposeScope();                       // [B, L−1]
    }

    /// <summary>Mean of <paramref name="tokenNll"/> <c>[B, L−1]</c> over real targets (scalar).</summary>
    public static Tensor Mean(Tensor tokenNll, Tensor isReal) =>
        tokenNll.sum() / isReal.narrow(1, 1, tokenNll.shape[1]).sum().clamp_min(1);
}
