namespace QuietStar.Core.Thinking;

/// <summary>
/// How <see cref="ParallelThoughtGenerator"/> picks each thought token. <see cref="Model"/> is the reference's; the
/// others exist to measure what a thought's <em>content</em> contributes (docs/experiments.md): if a trained model
/// gains as much from thoughts of random tokens as from its own samples, the gain is the extra computation after
/// START, not what the thought says.
/// </summary>
public enum ThoughtSampling
{
    /// <summary>The reference: a hard Gumbel sample from the model's next-token distribution at temperature 1.</summary>
    Model = 0,

    /// <summary>The model's most likely token at every thought step (argmax of the same logits).</summary>
    Greedy = 1,

    /// <summary>
    /// A control: every thought token drawn uniformly from the model's vocabulary (all embedding rows but START and
    /// END), independent of the context. The REINFORCE log-probabilities are still the model's for the drawn token.
    /// </summary>
    Uniform = 2,
}
