using QuietStar.Core.Configuration;
using QuietStar.Core.Model;
using static TorchSharp.torch;

namespace QuietStar.Core.Thinking;

/// <summary>
/// What a thought generator needs after the base pass: R = B·P rows of L tokens whose base keys are already in
/// <see cref="Cache"/>. All tensors belong to the caller's dispose scope. A record, so that a generator wrapping another
/// passes it on changed with <c>with</c>.
/// </summary>
public sealed record ThoughtRequest
{
    /// <summary>The language model.</summary>
    public required CausalLanguageModel Model { get; init; }

    /// <summary>The learned START/END embeddings.</summary>
    public required ThoughtEmbeddings Embeddings { get; init; }

    /// <summary>The algorithm's options (T, M, temperatures, attention strategy).</summary>
    public required QuietStarOptions Options { get; init; }

    /// <summary>Token ids <c>[R, L]</c>; also the teacher-forced targets of the talk phase.</summary>
    public required Tensor InputIds { get; init; }

    /// <summary>Base position ids <c>[R, L]</c>; thought step k uses these + k.</summary>
    public required Tensor PositionIds { get; init; }

    /// <summary>Prefix attention of every thought token, <c>[R|1, 1, L, L]</c>: causal, padding excluded, self allowed.</summary>
    public required Tensor PrefixMask { get; init; }

    /// <summary>The cache holding the base pass's keys (L sequential positions).</summary>
    public required KeyValueCache Cache { get; init; }

    /// <summary>Token ids that are never sampled as thought tokens (START, END).</summary>
    public required IReadOnlyList<int> UnsampledTokenIds { get; init; }

    /// <summary>Token fed past the end of the sequence in the talk phase (its outputs are never scored).</summary>
    public required int PadTokenId { get; init; }

    /// <summary>The random source of the Gumbel noise.</summary>
    public required Generator Generator { get; init; }

    /// <summary>
    /// Whether <see cref="ThoughtRollout.ThoughtLogProbs"/> keep their autograd history, which only the REINFORCE term
    /// needs. The objective turns it off when that term has weight 0, so that no thought step keeps its log-softmax
    /// <c>[R, L, V]</c> for a backward pass that would multiply it by 0. Default true; a generator may ignore it.
    /// </summary>
    public bool LogProbGradients { get; init; } = true;

    /// <summary>
    /// Optional: called with each thought step's sampling logits <c>[R, L, V]</c> as the step is generated
    /// (<see cref="IThoughtStepObserver.OnThoughtStep"/>); the objective uses it for the thought entropy and KL
    /// terms. Null when nobody listens. A generator that ignores it leaves those terms at 0.
    /// </summary>
    public IThoughtStepObserver? StepObserver { get; init; }
}
