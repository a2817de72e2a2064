using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>
/// Everything a forward call of <see cref="CausalLanguageModel"/> takes. Exactly one of <see cref="InputIds"/> and
/// <see cref="InputEmbeddings"/> must be set.
/// </summary>
internal sealed class ModelInput
{
    /// <summary>Token ids <c>[B, L]</c> (int64).</summary>
    public Tensor? InputIds { get; init; }

    /// <summary>Input embeddings <c>[B, L, H]</c>, used instead of token ids (e.g. learned thought embeddings).</summary>
    public Tensor? InputEmbeddings { get; init; }

    /// <summary>Position ids <c>[B, L]</c> (int64). Default: <c>cache.Length + 0..L−1</c> for every row.</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary>The attention pattern. Default: causal.</summary>
    public AttentionSpec Attention { get; init; } = AttentionSpec.Causal();

    /// <summary>A cache to read earlier keys from and append this call's keys to; null for a stateless call.</summary>
    public KeyValueCache? Cache { get; init; }

    /// <summary>Whether to compute logits <c>[B, L, V]</c> (the largest tensor of a call); hidden states are always returned.</summary>
    public bool ComputeLogits { get; init; } = true;
}
