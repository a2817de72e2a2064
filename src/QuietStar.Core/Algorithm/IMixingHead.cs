using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>Where the mixing head blends the base and post-thought predictions. The two are the same function.</summary>
public enum MixingSpace
{
    /// <summary>
    /// <c>(1−w)·z_base(t+s) + w·lm_head(h_thought)</c>: reuses the base logits, so at initialisation (w = 0) the talk
    /// logits equal the base logits bit for bit. The default.
    /// </summary>
    Logits,

    /// <summary><c>lm_head((1−w)·h_base(t+s) + w·h_thought)</c>, literally as the reference computes it.</summary>
    Hidden,
}

/// <summary>
/// The mixing ("talk") head of paper §4.3: from the base hidden state and the post-thought hidden state it computes
/// a weight w that blends the post-thought prediction with the plain one, <c>(1 − w)·base + w·thought</c>.
/// Implementations must also be TorchSharp modules so their parameters are trained and checkpointed.
/// </summary>
public interface IMixingHead
{
    /// <summary>The mixing weight for each position.</summary>
    /// <param name="baseHidden">Base hidden states aligned with the thought's prediction target, <c>[..., H]</c>.</param>
    /// <param name="thoughtHidden">Hidden states after the thought, <c>[..., H]</c>.</param>
    /// <returns>w, <c>[..., 1]</c>; unbounded in the reference (no sigmoid).</returns>
    Tensor ComputeWeight(Tensor baseHidden, Tensor thoughtHidden);

    /// <summary>Initialises the head so that w ≡ 0 (the model starts as the base LM); other weights from <paramref name="generator"/>.</summary>
    void Reset(Generator generator);
}
