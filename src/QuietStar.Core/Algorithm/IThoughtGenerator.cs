using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// Generates a thought after every token in parallel (paper §4.2): START, T sampled tokens, END, then the M − 1
/// teacher-forced true tokens of the non-myopic talk phase.
/// </summary>
/// <remarks>
/// A generator drives the model through its <see cref="ThoughtRequest"/> only: <see cref="ThoughtRequest.Step"/> runs
/// the next thought or talk step, <see cref="ThoughtRequest.Embed"/>, <see cref="ThoughtRequest.StartEmbedding"/> and
/// <see cref="ThoughtRequest.EndEmbedding"/> give its inputs, <see cref="ThoughtRequest.Logits"/> the distribution a
/// thought token is drawn from. It should report each sampled thought token's logits with
/// <see cref="ThoughtRequest.ReportThoughtStep"/>. One that does not still trains: the thought entropy and KL metrics
/// are then 0 (<see cref="ThoughtRegularization.ThoughtSteps"/> = 0), and the objective throws if their weights are
/// positive.
/// </remarks>
public interface IThoughtGenerator
{
    /// <summary>Continues from the base pass the request holds and returns the rollout.</summary>
    ThoughtRollout Generate(ThoughtRequest request);
}

/// <summary>
/// What a thought generator is given after the base pass, and the only way it reaches the model: R = B·P rows of L
/// tokens whose base pass is done, and the operations of one rollout. <see cref="Step"/> runs thought or talk step
/// k = 1, 2, … (at most T + M + 1) for every position at once, at position t + k, each position attending to its
/// causal prefix and to its own earlier steps only (<see cref="QuietStarOptions.Attention"/>); the steps' keys extend
/// the base pass's cache, which the request keeps to itself. A generator for the reference's schedule calls, in order:
/// <code>
/// h = Step(StartEmbedding())                      // [R, L, H] after START
/// for k = 1 … T: z = Logits(h)                    // [R, L, V]; draw c_k [R, L] from z, ReportThoughtStep(k, z)
///                h = Step(Embed(c_k))             // [R, L, H] after c_k
/// talk₀ = Step(EndEmbedding())                    // [R, L, H] after END
/// for s = 1 … M − 1: talk_s = Step(Embed(TalkInputIds(s)))  // x_{t+s}: InputIds shifted left by s
/// </code>
/// </summary>
/// <remarks>
/// The request is made by <see cref="QuietStarObjective"/> for one <see cref="IThoughtGenerator.Generate"/> call and is
/// spent when that call returns. Every tensor it returns is created in the caller's current dispose scope and keeps its
/// autograd history; what it keeps between steps it owns itself, so a generator may run each step in its own dispose
/// scope. Call its operations on the thread that called <see cref="IThoughtGenerator.Generate"/>: dispose scopes,
/// <c>no_grad</c> and the training functions' bookkeeping are per thread. Misuse is refused with an exception naming
/// what was expected: a tensor of the wrong shape (<see cref="ArgumentException"/>), a step beyond T + M + 1, any
/// operation after the call returned or after a step failed part-way, or a thought step reported out of order or before
/// it was run (<see cref="InvalidOperationException"/>).
/// </remarks>
public sealed class ThoughtRequest
{
    private readonly CausalLanguageModel model;
    private readonly ThoughtEmbeddings embeddings;
    private readonly KeyValueCache cache;
    private readonly Tensor positionIds;   // [R, L] base positions; step k uses these + k
    private readonly Tensor prefixMask;    // [R|1, 1, L, L]: causal, padding excluded, self allowed
    private readonly QuietStarOptions options;
    private readonly long rows;
    private readonly long length;
    private readonly long hiddenSize;
    private readonly Progress progress;    // shared with the copies made for another observer or flag

    /// <summary>Creates the request for one rollout over the base pass held in <paramref name="cache"/>.</summary>
    /// <param name="model">The language model.</param>
    /// <param name="embeddings">The learned START/END embeddings.</param>
    /// <param name="options">T, M, the temperatures and the attention strategy.</param>
    /// <param name="inputIds">Token ids <c>[R, L]</c> (int64).</param>
    /// <param name="positionIds">Base position ids <c>[R, L]</c>; step k runs at these + k.</param>
    /// <param name="prefixMask">Prefix attention of every step's tokens, boolean <c>[R|1, 1, L, L]</c>: causal, padding excluded, self allowed.</param>
    /// <param name="cache">The cache holding the base pass's keys (L sequential positions); the steps extend it.</param>
    /// <param name="unsampledTokenIds">Token ids never sampled as thought tokens (START, END).</param>
    /// <param name="padTokenId">Token fed past the end of the sequence in the talk phase.</param>
    /// <param name="generator">The random source of the thought samples.</param>
    /// <param name="logProbGradients">See <see cref="LogProbGradients"/>.</param>
    /// <param name="stepObserver">Receives <see cref="ReportThoughtStep"/>'s calls; null when nobody listens.</param>
    internal ThoughtRequest(CausalLanguageModel model, ThoughtEmbeddings embeddings, QuietStarOptions options, Tensor inputIds,
        Tensor positionIds, Tensor prefixMask, KeyValueCache cache, IReadOnlyList<int> unsampledTokenIds, int padTokenId,
        Generator generator, bool logProbGradients, IThoughtStepObserver? stepObserver)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        this.embeddings = embeddings ?? throw new ArgumentNullException(nameof(embeddings));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        InputIds = inputIds ?? throw new ArgumentNullException(nameof(inputIds));
        this.positionIds = positionIds ?? throw new ArgumentNullException(nameof(positionIds));
        this.prefixMask = prefixMask ?? throw new ArgumentNullException(nameof(prefixMask));
        this.cache = cache ?? throw new ArgumentNullException(nameof(cache));
        UnsampledTokenIds = unsampledTokenIds ?? throw new ArgumentNullException(nameof(unsampledTokenIds));
        PadTokenId = padTokenId;
        Generator = generator ?? throw new ArgumentNullException(nameof(generator));
        LogProbGradients = logProbGradients;
        StepObserver = stepObserver;
        (rows, length, hiddenSize) = (inputIds.shape[0], inputIds.shape[1], model.Config.HiddenSize);
        UnsampledIndex = torch.tensor(unsampledTokenIds.Select(i => (long)i).ToArray(), device: model.Device); // [U]
        progress = new Progress();
    }

    private ThoughtRequest(ThoughtRequest other, bool logProbGradients, IThoughtStepObserver? stepObserver)
    {
        (model, embeddings, options, cache, positionIds, prefixMask) = (other.model, other.embeddings, other.options, other.cache, other.positionIds, other.prefixMask);
        (rows, length, hiddenSize, progress) = (other.rows, other.length, other.hiddenSize, other.progress);
        (InputIds, UnsampledTokenIds, PadTokenId, Generator, UnsampledIndex) = (other.InputIds, other.UnsampledTokenIds, other.PadTokenId, other.Generator, other.UnsampledIndex);
        LogProbGradients = logProbGradients;
        StepObserver = stepObserver;
    }

    /// <summary>
    /// The algorithm's options: T, M, the temperatures and the attention strategy the steps use. A copy, so changing it
    /// has no effect on the rollout.
    /// </summary>
    public QuietStarOptions Options => options with { };

    /// <summary>Token ids <c>[R, L]</c> (int64); also the teacher-forced inputs and targets of the talk phase.</summary>
    public Tensor InputIds { get; }

    /// <summary>Token ids that are never sampled as thought tokens (START, END); <see cref="Logits"/> masks them.</summary>
    public IReadOnlyList<int> UnsampledTokenIds { get; }

    /// <summary>Token fed past the end of the sequence in the talk phase (its outputs are never scored).</summary>
    public int PadTokenId { get; }

    /// <summary>
    /// The talk phase's teacher-forced input of talk step <paramref name="s"/>: the true token s ahead of each position,
    /// <c>x_{t+s}</c>, as int64 <c>[R, L]</c> (<see cref="InputIds"/> shifted left by s, <see cref="PadTokenId"/> past the
    /// end of the sequence). Feed it through <see cref="Embed"/> to <see cref="Step"/>.
    /// </summary>
    /// <param name="s">1 … M − 1: the talk step after END (step 0) that this token is the input of.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="s"/> is outside 1 … M − 1.</exception>
    /// <exception cref="InvalidOperationException">The <see cref="IThoughtGenerator.Generate"/> call has returned, or a step failed part-way.</exception>
    public Tensor TalkInputIds(int s)
    {
        if (s < 1 || s >= options.TalkTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(s), s,
                $"Talk inputs exist for s = 1 … M − 1 = {options.TalkTokens - 1}: step 0 is END, and M = {options.TalkTokens} talk steps are scored.");
        }

        ThrowIfSpent();
        // s < L always: the objective requires L ≥ M + 2.
        var padding = torch.full(rows, s, PadTokenId, dtype: ScalarType.Int64, device: InputIds.device); // [R, s]
        return torch.cat([InputIds.narrow(1, s, length - s), padding], dim: 1);                        // [R, L]
    }

    /// <summary>The random source of the thought samples.</summary>
    public Generator Generator { get; }

    /// <summary>
    /// Whether <see cref="ThoughtRollout.ThoughtLogProbs"/> should keep their autograd history, which only the REINFORCE
    /// term needs. The objective turns it off when that term has weight 0, so that no thought step keeps its
    /// log-softmax <c>[R, L, V]</c> for a backward pass that would multiply it by 0. A generator may ignore it.
    /// </summary>
    public bool LogProbGradients { get; }

    /// <summary>The steps run so far: 0 before the first <see cref="Step"/>, at most T + M + 1.</summary>
    public int StepsRun => progress.StepsRun;

    /// <summary>The listener of <see cref="ReportThoughtStep"/> (the objective's entropy and KL terms); null when nobody listens.</summary>
    internal IThoughtStepObserver? StepObserver { get; }

    /// <summary><see cref="UnsampledTokenIds"/> as an int64 index <c>[U]</c> on the model's device.</summary>
    internal Tensor UnsampledIndex { get; }

    /// <summary>The START embedding at every position, <c>[R, L, H]</c>: the input of step 1.</summary>
    /// <exception cref="InvalidOperationException">The <see cref="IThoughtGenerator.Generate"/> call has returned, or a step failed part-way.</exception>
    public Tensor StartEmbedding()
    {
        ThrowIfSpent();
        return embeddings.Start.expand(rows, length, hiddenSize);                                     // [R, L, H]
    }

    /// <summary>The END embedding at every position, <c>[R, L, H]</c>: the input of the step after the last thought token.</summary>
    /// <exception cref="InvalidOperationException">The <see cref="IThoughtGenerator.Generate"/> call has returned, or a step failed part-way.</exception>
    public Tensor EndEmbedding()
    {
        ThrowIfSpent();
        return embeddings.End.expand(rows, length, hiddenSize);                                       // [R, L, H]
    }

    /// <summary>The token embeddings of <paramref name="ids"/>: int64 <c>[R, L]</c> → <c>[R, L, H]</c>, an input of <see cref="Step"/>.</summary>
    /// <param name="ids">One token per position, int64 <c>[R, L]</c>, inside the model's vocabulary.</param>
    /// <exception cref="ArgumentException"><paramref name="ids"/> is not int64 <c>[R, L]</c> or holds an id outside the vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The <see cref="IThoughtGenerator.Generate"/> call has returned, or a step failed part-way.</exception>
    public Tensor Embed(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ThrowIfSpent();
        RequireShape(ids, nameof(ids), "token ids", "[R, L]", rows, length);
        return model.Embed(ids);                                                                      // [R, L, H]
    }

    /// <summary>
    /// Runs the next step k (1 for the first call): the inputs <paramref name="embeddings"/> <c>[R, L, H]</c> sit at
    /// positions t + k, attend to the causal prefix of t (padding excluded) and to the steps 1 … k − 1 of the same
    /// position, and their keys join the cache for the later steps.
    /// </summary>
    /// <param name="embeddings">The step's input at every position, <c>[R, L, H]</c> (<see cref="StartEmbedding"/>, <see cref="Embed"/>, <see cref="EndEmbedding"/>).</param>
    /// <returns>The final-norm hidden states after the step, <c>[R, L, H]</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="embeddings"/> is not <c>[R, L, H]</c>.</exception>
    /// <exception cref="InvalidOperationException">T + M + 1 steps have been run already, the <see cref="IThoughtGenerator.Generate"/> call has returned, or an earlier step failed part-way.</exception>
    public Tensor Step(Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        RequireShape(embeddings, nameof(embeddings), "step embeddings", "[R, L, H]", rows, length, hiddenSize);
        ThrowIfSpent();

        int maxSteps = options.ForwardPasses - 1;
        if (progress.StepsRun >= maxSteps)
        {
            throw new InvalidOperationException(
                $"All {maxSteps} steps of the rollout have been run (T + M + 1: START, {options.ThoughtTokens} thought tokens, END and " +
                $"{options.TalkTokens - 1} talk tokens); a further step would sit beyond the positions the objective checked against the model's context.");
        }

        try
        {
            int step = ++progress.StepsRun;
            AttentionSpec spec;
            if (options.Attention == ThoughtAttention.Masked)
            {
                var ownKey = progress.OwnKey ??= torch.eye(length, dtype: ScalarType.Bool, device: model.Device)
                    .unsqueeze(0).unsqueeze(0).expand(prefixMask.shape[0], 1, length, length).DetachFromDisposeScope(); // [R|1, 1, L, L]
                var grown = torch.cat([progress.Mask ?? prefixMask, ownKey], dim: -1).DetachFromDisposeScope(); // [R|1, 1, L, (k+1)L]
                progress.Mask?.Dispose();
                progress.Mask = grown;
                spec = AttentionSpec.Explicit(grown);
            }
            else
            {
                spec = AttentionSpec.Branches(prefixMask);
            }

            return model.Forward(new ModelInput
            {
                InputEmbeddings = embeddings,
                PositionIds = positionIds + step,                                                 // [R, L]: t + k
                Attention = spec,
                Cache = cache,
                ComputeLogits = false,
            }).Hidden;                                                                                // [R, L, H]
        }
        catch
        {
            // The step is counted and some layers may have appended its keys to the cache: the rollout cannot go on.
            progress.Failed = true;
            throw;
        }
    }

    /// <summary>
    /// The logits a thought token is drawn from, <c>[R, L, V]</c>: the LM head of <paramref name="hidden"/> in at least
    /// float32, at temperature 1, with the <see cref="UnsampledTokenIds"/> (START, END) at −1e10.
    /// </summary>
    /// <param name="hidden">Hidden states <c>[R, L, H]</c> returned by <see cref="Step"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="hidden"/> is not <c>[R, L, H]</c>.</exception>
    /// <exception cref="InvalidOperationException">The <see cref="IThoughtGenerator.Generate"/> call has returned, or a step failed part-way.</exception>
    public Tensor Logits(Tensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        RequireShape(hidden, nameof(hidden), "hidden states", "[R, L, H]", rows, length, hiddenSize);
        ThrowIfSpent();
        // In at least float32: −1e10 overflows Half, and the REINFORCE log-softmax must not run in a 16-bit dtype. The fill
        // is in place on the fresh head output (whose backward keeps no output), not on a second [R, L, V] copy.
        using var unsampleable = GumbelSampler.Unsampleable.ToScalar();                          // held through the call (docs/build.md)
        return Precision.AtLeastFloat32(model.ComputeLogits(hidden)).index_fill_(-1, UnsampledIndex, unsampleable); // [R, L, V]
    }

    /// <summary>
    /// Reports that thought token <paramref name="step"/> was drawn from <paramref name="logits"/>, so that the
    /// objective accumulates the thought entropy and KL-to-base (<see cref="ThoughtRegularization"/>) step by step
    /// instead of keeping T tensors <c>[R, L, V]</c> until the rollout ends. Call it once per thought token, in order,
    /// after the step that produced its hidden states.
    /// </summary>
    /// <param name="step">k = 1 … T, the thought token's index (the next one not yet reported).</param>
    /// <param name="logits">
    /// The logits <c>[R, L, V]</c> token k was drawn from, as <see cref="Logits"/> returned them, with their autograd
    /// history. They stay the caller's: nothing keeps them past the call but what the autograd graph needs.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is not <c>[R, L, V]</c>.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="step"/> is not the next thought token, is beyond T, or its step has not been run; or the <see cref="IThoughtGenerator.Generate"/> call has returned, or a step failed part-way.</exception>
    public void ReportThoughtStep(int step, Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        RequireShape(logits, nameof(logits), "thought logits", "[R, L, V]", rows, length, model.Config.VocabSize);
        ThrowIfSpent();
        int expected = progress.StepsReported + 1;
        if (step != expected || step > options.ThoughtTokens)
        {
            throw new InvalidOperationException(expected > options.ThoughtTokens
                ? $"Thought step {step} reported, but all T = {options.ThoughtTokens} thought tokens have been reported."
                : $"Thought step {step} reported out of order: the next is step {expected} (each of 1 … T = {options.ThoughtTokens} once, in order).");
        }

        if (step > progress.StepsRun)
        {
            throw new InvalidOperationException(
                $"Thought step {step} reported after {progress.StepsRun} step(s): token {step} is drawn from the hidden states of step {step}; run that step first.");
        }

        progress.StepsReported = step;
        StepObserver?.OnThoughtStep(step, logits);
    }

    /// <summary>
    /// This request with another listener of the thought steps (e.g. a test's recorder that passes them on, or null to
    /// drop them); the rollout (steps run and reported, cache) is shared, so use one of the two.
    /// </summary>
    internal ThoughtRequest WithStepObserver(IThoughtStepObserver? observer) => new(this, LogProbGradients, observer);

    /// <summary>This request with another <see cref="LogProbGradients"/>; the rollout is shared, so use one of the two.</summary>
    internal ThoughtRequest WithLogProbGradients(bool logProbGradients) => new(this, logProbGradients, StepObserver);

    /// <summary>
    /// Releases what the rollout kept between steps (the masked strategy's masks), for this request and its copies;
    /// called by its maker when the rollout is done.
    /// </summary>
    internal void Release()
    {
        progress.OwnKey?.Dispose();
        progress.Mask?.Dispose();
        (progress.OwnKey, progress.Mask, progress.Spent) = (null, null, true);
    }

    private void ThrowIfSpent()
    {
        if (progress.Failed)
        {
            throw new InvalidOperationException(
                $"A step of this {nameof(ThoughtRequest)}'s rollout failed part-way (see the exception it threw), so the cache may hold part of it; the rollout cannot continue.");
        }

        if (progress.Spent)
        {
            throw new InvalidOperationException(
                $"The rollout of this {nameof(ThoughtRequest)} is over: it serves one {nameof(IThoughtGenerator)}.{nameof(IThoughtGenerator.Generate)} call, and that call has returned.");
        }
    }

    private static void RequireShape(Tensor t, string parameter, string what, string dimensions, params long[] expected)
    {
        if (!t.shape.SequenceEqual(expected))
        {
            throw new ArgumentException(
                $"Expected {what} {dimensions} = [{string.Join(", ", expected)}]; got [{string.Join(", ", t.shape)}].", parameter);
        }
    }

    /// <summary>Whether a step threw part-way: the objective refuses a rollout a generator returned after that.</summary>
    internal bool Failed => progress.Failed;

    /// <summary>What one rollout has done so far: steps run and reported, and the masked strategy's masks (owned, outside every dispose scope).</summary>
    private sealed class Progress
    {
        public int StepsRun { get; set; }

        public int StepsReported { get; set; }

        public Tensor? OwnKey { get; set; }   // [R|1, 1, L, L]

        public Tensor? Mask { get; set; }     // [R|1, 1, L, (k+1)L]

        public bool Spent { get; set; }       // the Generate call has returned; the cache is gone

        public bool Failed { get; set; }      // a step threw part-way; the cache may hold part of it
    }
}

/// <summary>
/// Sees each thought token's sampling distribution while a thought generator runs, so that per-step quantities
/// (the objective's thought entropy and KL-to-base, <see cref="ThoughtRegularization"/>) are accumulated step by
/// step instead of keeping T logits tensors <c>[R, L, V]</c> alive until the rollout ends. A generator reaches it
/// through <see cref="ThoughtRequest.ReportThoughtStep"/>, which checks the call and passes it on.
/// </summary>
internal interface IThoughtStepObserver
{
    /// <summary>Called after thought token <paramref name="step"/> was sampled from <paramref name="logits"/>.</summary>
    /// <param name="step">k = 1 … T, the thought token's index.</param>
    /// <param name="logits">
    /// The logits <c>[R, L, V]</c> token k was sampled from: temperature 1, START/END at −1e10, with autograd
    /// history. The tensor belongs to the generator and may be disposed when its step ends (the autograd graph keeps
    /// what backward needs). An observer that keeps it, or anything computed from it, past the call must take it out
    /// of the current dispose scope (<c>DetachFromDisposeScope</c>) and dispose it itself.
    /// </param>
    void OnThoughtStep(int step, Tensor logits);
}

/// <summary>
/// The thoughts generated at every position of R rows, and what the model computed after them. Tensors belong to
/// the caller's dispose scope and keep their autograd history. The logits the thought tokens were sampled from are not
/// kept (T tensors <c>[R, L, V]</c>): the objective sees each one as it is generated
/// (<see cref="ThoughtRequest.ReportThoughtStep"/>).
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
