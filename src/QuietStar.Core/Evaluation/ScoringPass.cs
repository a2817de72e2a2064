using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Evaluation;

/// <summary>
/// The forward pass of every evaluation: next-token logits at every position of a batch, without thoughts (the base
/// model) and, for a Quiet-STaR model, with a thought at every position exactly as the reference's evaluation computes
/// them: one thought per position (P = 1) and the mixed prediction right after END (M = 1). The thought logic is
/// <see cref="QuietStarObjective"/>'s, run under <c>torch.no_grad()</c> with a copy of the model's options where
/// Passes = 1, TalkTokens = 1, MeanBaseline = false and IncludePolicyLoss = false (the options' evaluation recipe).
/// </summary>
/// <remarks>
/// Thoughts are sampled, not greedy, even at evaluation: the reference draws them with a hard Gumbel-softmax, whose
/// sample does not depend on its temperature, so its evaluation samples every thought token from softmax(logits) at
/// temperature 1 (the paper's "greedy" thoughts are not what its code does). Scores with thoughts are therefore
/// random; the <see cref="Generator"/> passed to <see cref="RunWithThoughts"/> makes them reproducible for the same
/// batches in the same order.
/// </remarks>
internal sealed class ScoringPass
{
    private readonly CausalLanguageModel languageModel;
    private readonly QuietStarObjective? objective;

    private ScoringPass(CausalLanguageModel languageModel, QuietStarObjective? objective, int thoughtTokens, int vocabularySize)
    {
        this.languageModel = languageModel;
        this.objective = objective;
        ThoughtTokens = thoughtTokens;
        VocabularySize = vocabularySize;
    }

    /// <summary>Whether the model can think (it is a Quiet-STaR model).</summary>
    public bool CanThink => objective is not null;

    /// <summary>Sampled thought tokens per position (0 for a model that cannot think).</summary>
    public int ThoughtTokens { get; }

    /// <summary>How thought tokens are picked (<see cref="ThoughtSampling.Model"/> for a model that cannot think).</summary>
    public ThoughtSampling Sampling { get; private init; }

    /// <summary>Size of the last dimension of the returned logits: the base vocabulary, without START/END.</summary>
    public int VocabularySize { get; }

    /// <summary>The device the model's parameters, and so the inputs, live on.</summary>
    public Device Device => languageModel.Device;

    /// <summary>Id used to pad batches: the model's pad token, else its EOS, else 0 (padded positions are never attended to).</summary>
    public long PadTokenId => languageModel.Config.PadTokenId ?? languageModel.Config.EosTokenId ?? 0;

    /// <summary>
    /// Evaluates a Quiet-STaR model. Its modules are shared, not copied; its own options are left untouched.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="thoughtTokens">Sampled tokens per thought; the model's own <c>ThoughtTokens</c> when null.</param>
    /// <param name="sampling">
    /// How thought tokens are picked: the reference's samples by default; <see cref="ThoughtSampling.Greedy"/> or the
    /// <see cref="ThoughtSampling.Uniform"/> control (random tokens) measure what the thoughts' content contributes.
    /// </param>
    /// <param name="components">
    /// The pipeline's components (reference ones when null): its thought generator draws the model's own thoughts, its
    /// loss and reward estimator score them; greedy and uniform thoughts come from the reference generator.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="thoughtTokens"/> is below 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sampling"/> is not a defined value.</exception>
    public static ScoringPass For(QuietStarModel model, int? thoughtTokens = null, ThoughtSampling sampling = ThoughtSampling.Model,
        QuietStarComponents? components = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var own = model.Options;
        var options = (own with { ThoughtTokens = thoughtTokens ?? own.ThoughtTokens }).ForEvaluation();
        var parts = components ?? QuietStarComponents.Reference;
        // The model's own thoughts come from the pipeline's generator (a custom one included); the baselines' uniform or
        // fixed thoughts only from the reference generator, which is the one that can draw them.
        var thoughts = sampling == ThoughtSampling.Model && parts.ThoughtGenerator is { } custom ? custom : new ParallelThoughtGenerator(sampling);
        var objective = new QuietStarObjective(model, thoughts, parts.TeacherForcingLoss, parts.RewardEstimator, options);
        return new ScoringPass(model.LanguageModel, objective, options.ThoughtTokens, model.BaseVocabularySize)
        {
            Sampling = sampling,
        };
    }

    /// <summary>Evaluates a plain language model, which can only be run without thoughts.</summary>
    public static ScoringPass For(CausalLanguageModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ScoringPass(model, objective: null, thoughtTokens: 0, model.Config.VocabSize);
    }

    /// <summary>
    /// The longest input this forward accepts: the model's context, less the START, thought and END positions that
    /// follow the last token when thinking.
    /// </summary>
    public int MaxInputLength(bool withThoughts) =>
        languageModel.Config.MaxPositionEmbeddings - (withThoughts ? ThoughtTokens + 2 : 0);

    /// <summary>Base logits only: one causal pass.</summary>
    /// <param name="inputIds">Token ids <c>[B, L]</c> (int64) on <see cref="Device"/>.</param>
    /// <param name="isReal">Boolean <c>[B, L]</c>, false at padding; null when nothing is padded.</param>
    public NextTokenLogits RunWithoutThoughts(Tensor inputIds, Tensor? isReal)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var output = languageModel.Forward(new ModelInput
        {
            InputIds = inputIds,
            Attention = isReal is null ? AttentionSpec.Causal() : AttentionSpec.CausalWithPadding(isReal),
        });
        var logits = BaseVocabulary(output.Logits!);                                          // [B, L, V]
        return new NextTokenLogits(logits.MoveToOuterDisposeScope(), null, null);
    }

    /// <summary>Base logits and, with a thought sampled at every position, the post-thought mixed logits and weights.</summary>
    /// <param name="inputIds">Token ids <c>[B, L]</c> (int64) on <see cref="Device"/>, L ≥ 3.</param>
    /// <param name="isReal">Boolean <c>[B, L]</c>, false at padding; null when nothing is padded.</param>
    /// <param name="generator">Random source of the thoughts (see the remarks on sampling).</param>
    /// <exception cref="InvalidOperationException">The model cannot think: it is a plain language model.</exception>
    public NextTokenLogits RunWithThoughts(Tensor inputIds, Tensor? isReal, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(generator);
        if (objective is null)
        {
            throw CannotThink();
        }

        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var result = objective.Compute(inputIds, isReal, generator);
        var baseLogits = BaseVocabulary(result.BaseLogits);                                   // [B, L, V]
        var thoughtLogits = BaseVocabulary(result.TalkLogits[0]);                             // [B, L, V]: predicts x_{t+1}
        var weights = result.MixingWeights[0].squeeze(-1);                                    // [B, L]
        return new NextTokenLogits(
            baseLogits.MoveToOuterDisposeScope(), thoughtLogits.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope())
        {
            ThoughtIds = result.Rollout.ThoughtIds.MoveToOuterDisposeScope(),                  // [B, L, T]
        };
    }

    /// <summary>Runs a padded batch with or without thoughts.</summary>
    internal NextTokenLogits Run(SequenceBatch batch, bool withThoughts, Generator generator) =>
        withThoughts ? RunWithThoughts(batch.InputIds, batch.IsReal, generator) : RunWithoutThoughts(batch.InputIds, batch.IsReal);

    /// <summary>Fails early, with the reason, when the model cannot evaluate <paramref name="sequenceLength"/> tokens as asked.</summary>
    internal void Require(bool withThoughts, int sequenceLength)
    {
        if (withThoughts && !CanThink)
        {
            throw CannotThink();
        }

        int max = MaxInputLength(withThoughts);
        if (sequenceLength > max)
        {
            string how = withThoughts ? $" with {ThoughtTokens}-token thoughts" : "";
            throw new ArgumentException(
                $"Sequence length {sequenceLength} exceeds what the model can evaluate{how}: {max} tokens " +
                $"(context {languageModel.Config.MaxPositionEmbeddings}). Use a shorter sequence length.");
        }
    }

    private static InvalidOperationException CannotThink() => new(
        "Thoughts were asked for, but this model has no thought tokens: it is a plain language model, not a Quiet-STaR " +
        "model (no START/END embeddings, no mixing head). Evaluate it with thoughts off, or load a Quiet-STaR model.");

    private Tensor BaseVocabulary(Tensor logits) =>
        logits.shape[^1] == VocabularySize ? logits : logits.narrow(-1, 0, VocabularySize);   // [B, L, V]
}

/// <summary>
/// Next-token predictions at every position of a batch: the row at position t predicts x_{t+1}. The last dimension
/// is the model's base vocabulary (the START/END thought tokens are never text and are dropped). The tensors belong
/// to the caller's dispose scope and carry no autograd history.
/// </summary>
/// <param name="BaseLogits">Logits of the model without thoughts, <c>[B, L, V]</c>.</param>
/// <param name="TalkLogits">Logits after a thought at every position (the post-END mixed prediction), <c>[B, L, V]</c>; null when run without thoughts.</param>
/// <param name="MixingWeights">The mixing head's weight w on the thought prediction at every position, <c>[B, L]</c>; null when run without thoughts.</param>
internal sealed record NextTokenLogits(Tensor BaseLogits, Tensor? TalkLogits, Tensor? MixingWeights)
{
    /// <summary>The prediction an evaluation scores: <see cref="TalkLogits"/> when thoughts ran, else <see cref="BaseLogits"/>.</summary>
    public Tensor Logits => TalkLogits ?? BaseLogits;

    /// <summary>The T sampled thought tokens before every position's prediction, <c>[B, L, T]</c> (int64); null when run without thoughts.</summary>
    public Tensor? ThoughtIds { get; init; }
}
