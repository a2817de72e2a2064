using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// One evaluation of the Quiet-STaR objective on a batch (paper §4, Algorithm 1): base pass, parallel thoughts at
/// every position, mixing, non-myopic NLL, REINFORCE. The components are swappable through the interfaces.
/// </summary>
public sealed class QuietStarObjective
{
    private readonly QuietStarModel model;
    private readonly QuietStarOptions options;
    private readonly IThoughtGenerator thoughts;
    private readonly ITeacherForcingLoss teacherForcing;
    private readonly IRewardEstimator rewards;

    /// <summary>Creates the objective; null components fall back to the reference implementations.</summary>
    /// <param name="model">The model to evaluate.</param>
    /// <param name="thoughts">The thought generator; the reference's parallel generator (model samples) when null.</param>
    /// <param name="teacherForcing">The LM loss; the reference's non-myopic loss when null.</param>
    /// <param name="rewards">The reward estimator; the reference's REINFORCE estimator when null.</param>
    /// <param name="options">
    /// Overrides <see cref="QuietStarModel.Options"/>, e.g. one pass and one talk token for evaluation as in the
    /// reference; validated. The model's options when null.
    /// </param>
    public QuietStarObjective(QuietStarModel model, IThoughtGenerator? thoughts = null, ITeacherForcingLoss? teacherForcing = null, IRewardEstimator? rewards = null,
        QuietStarOptions? options = null)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        this.options = options ?? model.Options;
        this.options.Validate();
        this.thoughts = thoughts ?? new ParallelThoughtGenerator();
        this.teacherForcing = teacherForcing ?? new NonMyopicLoss();
        this.rewards = rewards ?? new ReinforceRewardEstimator();
    }

    /// <summary>
    /// When true, the backbone's training functions free what they keep for backward as soon as backward has used it, as
    /// libtorch's own nodes do without <c>retain_graph</c>: a step's peak memory falls (0.49× instead of 0.54× of
    /// c905d9a's on the dim-256 model, docs/performance.md). Backward may then run only once over a
    /// <see cref="Compute"/> call's graph; a second backward gives NaN gradients through those functions. Off by
    /// default, so a custom loop may call backward twice; the trainer turns it on.
    /// </summary>
    public bool ReleaseSavedTensorsInBackward { get; init; }

    /// <summary>Computes the objective for <paramref name="inputIds"/> <c>[B, L]</c>.</summary>
    /// <param name="inputIds">Token ids <c>[B, L]</c> (int64); also the targets.</param>
    /// <param name="isReal">Boolean <c>[B, L]</c>, false at padding; null when nothing is padded.</param>
    /// <param name="generator">Random source of the thought samples.</param>
    /// <param name="step">
    /// Optimizer steps already taken with thoughts (0 for the first), for the policy-weight warm-up
    /// (<see cref="QuietStarOptions.PolicyWeightWarmupSteps"/>); null means after the warm-up, e.g. for evaluation.
    /// </param>
    public ObjectiveResult Compute(Tensor inputIds, Tensor? isReal, Generator generator, int? step = null)
    {
        using var release = ReleaseSavedTensorsInBackward ? BackwardStash.SingleBackward() : null;
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(generator);
        var lm = model.LanguageModel;
        long length = inputIds.shape[^1];
        if (inputIds.dim() != 2 || length < options.TalkTokens + 2)
        {
            throw new ArgumentException(
                $"Input ids must be [B, L] with L ≥ TalkTokens + 2 = {options.TalkTokens + 2}; got [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        }

        if (length + options.ForwardPasses - 1 > lm.Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"Sequences of {length} tokens plus {options.ForwardPasses - 1} thought/talk positions exceed the model's context of {lm.Config.MaxPositionEmbeddings}.", nameof(inputIds));
        }

        double policyWeight = PolicyWeightSchedule.At(options, step);
        var ids = inputIds.repeat_interleave(options.Passes, dim: 0);                                       // [R, L]
        long rows = ids.shape[0];
        var real = (isReal ?? torch.ones_like(inputIds, dtype: ScalarType.Bool)).repeat_interleave(options.Passes, dim: 0); // [R, L]
        var positions = torch.arange(length, dtype: ScalarType.Int64, device: lm.Device).unsqueeze(0).expand(rows, length); // [R, L]
        int[] unsampled = [model.StartThoughtId, model.EndThoughtId];

        // 1. Base pass once per sequence (its P copies are identical), keeping its keys and values for the thoughts;
        // then expanded to the P passes, cache included.
        using var cache = new KeyValueCache(lm.Config.NumLayers);
        var baseOnce = lm.Forward(new ModelInput
        {
            InputIds = inputIds,
            PositionIds = positions.narrow(0, 0, inputIds.shape[0]),
            Attention = isReal is null ? AttentionSpec.Causal() : AttentionSpec.CausalWithPadding(isReal),
            Cache = cache,
        });                                                                                                  // hidden [B, L, H], logits [B, L, V]
        cache.RepeatRows(options.Passes);
        var baseOut = new ModelOutput(baseOnce.Hidden.repeat_interleave(options.Passes, dim: 0), baseOnce.Logits!.repeat_interleave(options.Passes, dim: 0)); // [R, L, H], [R, L, V]
        baseOnce.Hidden.Dispose();
        baseOnce.Logits.Dispose();                                                                           // the expanded copies are what the step uses

        // 2. Thoughts in parallel at every position. Entropy and KL of the thought distributions are accumulated as each
        // thought step is generated, so a step's logits [R, L, V] need not outlive it (under no_grad when β_H = β_KL = 0;
        // otherwise the graph keeps what backward needs).
        using var thoughtTerms = new ThoughtDistributionTerms(baseOut.Logits!, real, unsampled, options);
        var request = new ThoughtRequest(lm, model.ThoughtEmbeddings, options, ids, positions, PrefixMask(real, length), cache, unsampled,
            padTokenId: lm.Config.PadTokenId ?? lm.Config.EosTokenId ?? 0, generator, logProbGradients: PolicyTermTrains(policyWeight), stepObserver: thoughtTerms);
        ThoughtRollout rollout;
        try
        {
            rollout = thoughts.Generate(request);
        }
        finally
        {
            request.Release();
        }

        if (request.Failed)
        {
            throw new InvalidOperationException(
                $"The thought generator {thoughts.GetType().Name} returned a rollout after one of its steps failed part-way; the rollout is incomplete. Let the step's exception propagate.");
        }

        var regularization = Regularization(thoughtTerms);

        var (talkLogits, weights) = Mix(baseOut.Hidden, baseOut.Logits!, rollout.TalkHidden);          // 3. mixing head
        var nll = teacherForcing.Compute(baseOut.Logits!, talkLogits, ids, real, options.BaseLossWeight); // 4. non-myopic loss
        var policy = rewards.Estimate(                                                                 // 5. REINFORCE
            options.RewardFromThought ? WithThoughtNll(nll, rollout.TalkHidden, ids, real) : nll, rollout.ThoughtLogProbs, options);
        var loss = Total(nll.Loss, policy.PolicyLoss, policyWeight, regularization);                     // 6. total
        return new ObjectiveResult(loss, baseOut.Logits!, talkLogits, weights, rollout, nll, policy, policyWeight, regularization, real);
    }

    /// <summary>The accumulated thought terms; refuses a positive β_H or β_KL when the generator reported no thought step.</summary>
    private ThoughtRegularization Regularization(ThoughtDistributionTerms terms)
    {
        if (terms.Steps == 0 && (options.ThoughtEntropyWeight > 0 || options.ThoughtKlWeight > 0))
        {
            string option = options.ThoughtEntropyWeight > 0
                ? $"{nameof(QuietStarOptions)}.{nameof(QuietStarOptions.ThoughtEntropyWeight)} = {options.ThoughtEntropyWeight}"
                : $"{nameof(QuietStarOptions)}.{nameof(QuietStarOptions.ThoughtKlWeight)} = {options.ThoughtKlWeight}";
            throw new InvalidOperationException(
                $"{option} needs the thought distributions, but the thought generator {thoughts.GetType().Name} reported no thought step " +
                $"({nameof(ThoughtRequest)}.{nameof(ThoughtRequest.ReportThoughtStep)}). Report each thought token's logits in the generator, " +
                $"or set {nameof(QuietStarOptions.ThoughtEntropyWeight)} and {nameof(QuietStarOptions.ThoughtKlWeight)} to 0.");
        }

        return terms.Result();
    }

    /// <summary>
    /// Whether the REINFORCE term reaches the loss: its weight after the warm-up (0 when the term is not included, see
    /// <see cref="PolicyWeightSchedule"/>) is positive. At weight 0 it is left out instead of multiplied by 0, so
    /// backward never visits the thought log-probabilities.
    /// </summary>
    private static bool PolicyTermTrains(double policyWeight) => policyWeight > 0;

    /// <summary>L_NLL + w·L_PG (the reference's total; L_NLL alone at w = 0), then −β_H·H and +β_KL·KL when their weights are non-zero.</summary>
    private Tensor Total(Tensor languageModeling, Tensor policyLoss, double policyWeight, ThoughtRegularization regularization)
    {
        var loss = PolicyTermTrains(policyWeight) ? languageModeling + policyLoss * policyWeight : languageModeling;
        if (regularization.EntropyWeight > 0)
        {
            loss = loss - regularization.Entropy * regularization.EntropyWeight;
        }

        if (regularization.KlWeight > 0)
        {
            loss = loss + regularization.KlToBase * regularization.KlWeight;
        }

        return loss;
    }

    /// <summary>
    /// <paramref name="nll"/> with its talk NLLs replaced by those of the thought branch's own prediction, lm_head(h_talk_s),
    /// for <see cref="QuietStarOptions.RewardFromThought"/>: what the reward sees; the loss keeps the mixed NLLs. Computed
    /// without gradient, one talk step at a time, so no unmixed <c>[R, L, V]</c> logits outlive their step.
    /// </summary>
    private TeacherForcingResult WithThoughtNll(TeacherForcingResult nll, IReadOnlyList<Tensor> talkHidden, Tensor ids, Tensor real)
    {
        using var noGrad = torch.no_grad();
        var labels = ids.masked_fill(real.logical_not(), NonMyopicLoss.Ignore);                                 // [R, L]
        var thoughtNll = new List<Tensor>(talkHidden.Count);
        for (int s = 0; s < talkHidden.Count; s++)
        {
            using var logits = model.LanguageModel.ComputeLogits(talkHidden[s].detach());                      // [R, L, V]
            thoughtNll.Add(NonMyopicLoss.TokenNll(logits, labels, s));                                         // [R, L−1−s]
        }

        return nll with { TalkNll = thoughtNll };
    }

    /// <summary>Mixes each talk step with the base prediction for the same target: the base state at t+s.</summary>
    private (List<Tensor> Logits, List<Tensor> Weights) Mix(Tensor baseHidden, Tensor baseLogits, IReadOnlyList<Tensor> talkHidden)
    {
        var logits = new List<Tensor>(talkHidden.Count);
        var weights = new List<Tensor>(talkHidden.Count);
        for (int s = 0; s < talkHidden.Count; s++)
        {
            int shift = s;
            var (mixed, w) = ThoughtMixing.Mix(model, options.MixingSpace, baseHidden.roll(-s, 1), () => baseLogits.roll(-shift, 1), talkHidden[s]); // h_base(t+s): [R, L, V], [R, L, 1]
            logits.Add(mixed);
            weights.Add(w);
        }

        return (logits, weights);
    }

    /// <summary>Causal, padded keys excluded, own position always allowed: <c>[R, 1, L, L]</c>.</summary>
    private static Tensor PrefixMask(Tensor real, long length)
    {
        var causal = torch.ones(length, length, dtype: ScalarType.Bool, device: real.device).tril();   // [L, L]
        var self = torch.eye(length, dtype: ScalarType.Bool, device: real.device);
        return ((causal.unsqueeze(0) & real.unsqueeze(1)) | self.unsqueeze(0)).unsqueeze(1);            // [R, 1, L, L]
    }
}

/// <summary>
/// Everything one evaluation of the Quiet-STaR objective computed. Tensors belong to the caller's dispose scope and
/// keep their autograd history; call <c>Loss.backward()</c> to train. <see cref="Metrics"/> reads the numbers.
/// </summary>
/// <param name="Loss">The total loss: LM loss + policy weight · policy loss, − β_H·entropy + β_KL·KL when those are on (scalar).</param>
/// <param name="BaseLogits">Base logits <c>[R, L, V]</c> (R = B·P rows).</param>
/// <param name="TalkLogits">M mixed logits <c>[R, L, V]</c>; entry s at t predicts x_{t+s+1}.</param>
/// <param name="MixingWeights">M mixing weights <c>[R, L, 1]</c>.</param>
/// <param name="Rollout">The sampled thoughts.</param>
/// <param name="LanguageModeling">Base and talk NLLs.</param>
/// <param name="Policy">Rewards, advantages and the unweighted policy loss.</param>
/// <param name="PolicyWeight">The weight the policy loss entered the total with (0 when excluded; ramped during the warm-up).</param>
/// <param name="Regularization">Entropy and KL-to-base of the thought distributions, with the weights they entered the total with.</param>
/// <param name="IsReal">Boolean <c>[R, L]</c>: the real (non-padding) positions of the repeated rows.</param>
public sealed record ObjectiveResult(
    Tensor Loss,
    Tensor BaseLogits,
    IReadOnlyList<Tensor> TalkLogits,
    IReadOnlyList<Tensor> MixingWeights,
    ThoughtRollout Rollout,
    TeacherForcingResult LanguageModeling,
    PolicyResult Policy,
    double PolicyWeight,
    ThoughtRegularization Regularization,
    Tensor IsReal)
{
    /// <summary>Reads the named loss components and training metrics (synchronises with the device).</summary>
    public StepMetrics Metrics() => StepMetrics.From(this);
}
