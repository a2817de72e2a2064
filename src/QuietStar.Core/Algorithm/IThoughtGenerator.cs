using QuietStar.Core.Model;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// Generates a thought after every token in parallel (paper §4.2): START, T sampled tokens, END, then the M − 1
/// teacher-forced true tokens of the non-myopic talk phase.
/// </summary>
/// <remarks>
/// An implementation should report each sampled thought token's logits to <see cref="ThoughtRequest.StepObserver"/>
/// when one is set. One that does not still trains: the thought entropy and KL metrics are then 0
/// (<see cref="ThoughtRegularization.ThoughtSteps"/> = 0), and the objective throws if their weights are positive.
/// </remarks>
public interface IThoughtGenerator
{
    /// <summary>Continues from the base pass in <see cref="ThoughtRequest.Cache"/> and returns the rollout.</summary>
    ThoughtRollout Generate(ThoughtRequest request);
}

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

/// <summary>
/// Sees each thought token's sampling distribution while a thought generator runs, so that per-step quantities
/// (the objective's thought entropy and KL-to-base, <see cref="ThoughtRegularization"/>) are accumulated step by
/// step instead of keeping T logits tensors <c>[R, L, V]</c> alive until the rollout ends.
/// </summary>
/// <remarks>
/// A generator passes its observer through <see cref="ThoughtRequest.StepObserver"/> and should call it once per
/// sampled thought token, in order. A generator that never calls it still works: the objective's entropy and KL are
/// then 0 and reported as covering no step, and a positive entropy or KL weight makes the objective throw.
/// </remarks>
public interface IThoughtStepObserver
{
    /// <summary>Called after thought token <paramref name="step"/> was sampled from <paramref name="logits"/>.</summary>
    /// <param name="step">k = 1 … T, the thought token's index.</param>
    /// <param name="logits">
    /// The logits <c>[R, L, V]</c> token k was sampled from: temperature 1, START/END at −1e10, with autograd
    /// history. The tensor belongs to the generator and is disposed when its step ends (the autograd graph keeps
    /// what backward needs). An observer that keeps it, or anything computed from it, past the call must take it out
    /// of the current dispose scope (<c>DetachFromDisposeScope</c>) and dispose it itself.
    /// </param>
    void OnThoughtStep(int step, Tensor logits);
}

/// <summary>
/// The thoughts generated at every position of R rows, and what the model computed after them. Tensors belong to
/// the caller's dispose scope and keep their autograd history. The logits the thought tokens were sampled from are not
/// kept (T tensors <c>[R, L, V]</c>): a caller that needs them sees each one as it is generated through
/// <see cref="ThoughtRequest.StepObserver"/>.
/// </summary>
/// <param name="ThoughtIds">Sampled thought tokens <c>[R, L, T]</c> (int64, no gradient).</param>
/// <param name="ThoughtLogProbs">Their log-probabilities at the REINFORCE temperature <c>[R, L, T]</c>.</param>
/// <param name="ThoughtHidden">Hidden states the thought tokens were sampled from: T tensors <c>[R, L, H]</c> (after START, c₁, …, c_{T−1}).</param>
/// <param name="TalkHidden">Hidden states after END and the teacher-forced tokens: M tensors <c>[R, L, H]</c>; entry s predicts x_{t+s+1}.</param>
public sealed record ThoughtRollout(
    Tensor ThoughtIds,
    Tensor ThoughtLogProbs,
    IReadOnlyList<Tensor> ThoughtHidden,
    IReadOnlyList<Tensor> TalkHidden);

/// <summary>How thought tokens attend to their prefix and their own earlier thought tokens.</summary>
public enum ThoughtAttention
{
    /// <summary>
    /// Prefix scores once per step plus one dot product per own earlier thought token, joined in one softmax:
    /// O(L² + k·L) per step. The default.
    /// </summary>
    Diagonal,

    /// <summary>
    /// The reference's form: keys concatenated to (k+1)·L and a <c>[tril | I | … | I]</c> mask, O(k·L²) per step.
    /// Kept as the test oracle.
    /// </summary>
    Masked,
}
