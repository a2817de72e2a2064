using QuietStar.Core.Common;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// The Quiet-STaR algorithm's options. Defaults are the reference's training values (ezelikman/quiet-star,
/// <c>quiet-star-train.py</c>); docs/paper-to-code.md maps each option to the reference's name. Settable so that
/// builders and <c>IOptions</c> binding can fill it; whatever consumes it keeps its own validated copy.
/// </summary>
public sealed record QuietStarOptions
{
    /// <summary>Sampled thought tokens per position, T. The reference's <c>n_ahead</c> is T + 3 (base step, START, END). Default 9 (n_ahead 12).</summary>
    public int ThoughtTokens { get; set; } = 9;

    /// <summary>True tokens predicted after each thought (non-myopic teacher forcing), M (<c>n_ahead_talk</c>). Default 4.</summary>
    public int TalkTokens { get; set; } = 4;

    /// <summary>Thoughts sampled per position, P (<c>n_passes</c>): each sequence is repeated P times. Default 2.</summary>
    public int Passes { get; set; } = 2;

    /// <summary>Gumbel-softmax temperature for sampling thoughts (<c>gumbel_temperature</c>). A hard sample does not depend on it. Default 1.</summary>
    public double GumbelTemperature { get; set; } = 1.0;

    /// <summary>Temperature of the thought log-probabilities in the REINFORCE term (<c>reinforce_temperature</c>). Default 3.</summary>
    public double ReinforceTemperature { get; set; } = 3.0;

    /// <summary>Weight of the policy-gradient term (<c>policy_loss_beta</c>). Default 1e6.</summary>
    public double PolicyLossWeight { get; set; } = 1e6;

    /// <summary>Whether the policy-gradient term is part of the loss (<c>include_policy_loss</c>). Default true.</summary>
    public bool IncludePolicyLoss { get; set; } = true;

    /// <summary>Weight of the base next-token NLL; the talk NLLs get 1 − this (<c>original_loss_weight</c>). Default 0.5.</summary>
    public double BaseLossWeight { get; set; } = 0.5;

    /// <summary>Subtract the mean reward of the P passes of the same sequence, self included (<c>trice_mode</c>). Default true.</summary>
    public bool MeanBaseline { get; set; } = true;

    /// <summary>Clamp advantages below zero to zero (<c>remove_negative_rewards</c>). Default true.</summary>
    public bool ClampNegativeAdvantages { get; set; } = true;

    /// <summary>Gradient multiplier of the START/END embeddings, realised as e = scale·p (<c>embedding_scale</c>). Default 100.</summary>
    public double ThoughtEmbeddingGradientScale { get; set; } = 100.0;

    /// <summary>Text whose embedding seeds START, and END unless <see cref="EndThoughtInitText"/> is set (<c>initial_start_token</c>). Default "---".</summary>
    public string ThoughtInitText { get; set; } = "---";

    /// <summary>
    /// Text whose embedding seeds END (<c>initial_end_token</c>); null seeds it from <see cref="ThoughtInitText"/>, as the
    /// reference does. Separate texts let a thought start and end like a written rationale, e.g. "(" and ")". Default null.
    /// </summary>
    public string? EndThoughtInitText { get; set; }

    /// <summary>Which token of <see cref="ThoughtInitText"/>'s encoding seeds the embeddings. Default <see cref="ThoughtInitRule.SkipDummyPrefix"/>.</summary>
    public ThoughtInitRule ThoughtInitRule { get; set; } = ThoughtInitRule.SkipDummyPrefix;

    /// <summary>The START token's text, registered after the base vocabulary. Default <c>&lt;|startthought|&gt;</c>.</summary>
    public string StartThoughtToken { get; set; } = "<|startthought|>";

    /// <summary>The END token's text, registered after START. Default <c>&lt;|endthought|&gt;</c>.</summary>
    public string EndThoughtToken { get; set; } = "<|endthought|>";

    /// <summary>Attention strategy for thought tokens. Default <see cref="ThoughtAttention.Diagonal"/>.</summary>
    public ThoughtAttention Attention { get; set; } = ThoughtAttention.Diagonal;

    /// <summary>Where the mixing head blends predictions. Default <see cref="MixingSpace.Logits"/>.</summary>
    public MixingSpace MixingSpace { get; set; } = MixingSpace.Logits;

    /// <summary>
    /// Beyond the reference (off by default): divide the advantages by their standard deviation over all rows and
    /// scored positions of the batch, after the baseline and before the clamp, so that the policy gradient's scale no
    /// longer depends on how much the mixing weight lets the thoughts move the NLL. With it, a policy weight near 1
    /// (not 1e6) is the natural scale. Default false.
    /// </summary>
    public bool NormalizeAdvantages { get; set; }

    /// <summary>
    /// Beyond the reference (off by default): score the REINFORCE reward with the thought branch's own prediction,
    /// lm_head(h_talk), instead of the mixed one. The reference's reward is the mixed talk likelihood's gain over the
    /// base, and at initialisation the mixing head outputs w = 0, so every thought gets reward 0 until w grows; w grows
    /// only where thoughts already help. From a neutral START/END init neither can start (docs/experiments.md, part 1).
    /// With this option the policy sees how much a thought itself predicts the next M tokens from the first step on;
    /// the language-modelling loss is unchanged (mixed). Default false.
    /// </summary>
    public bool RewardFromThought { get; set; }

    /// <summary>
    /// Beyond the reference (off by default): weight β_H of an entropy bonus on the thought-token distributions at the
    /// sampling temperature 1; the loss gets −β_H·H, so training raises the entropy and resists collapsing to one
    /// thought. Default 0.
    /// </summary>
    public double ThoughtEntropyWeight { get; set; }

    /// <summary>
    /// Beyond the reference (off by default): weight β_KL of KL(π_thought ‖ p_base), the thought-token distribution at
    /// temperature 1 against the base pass's (detached) next-token distribution at the same position; the loss gets
    /// +β_KL·KL, which keeps thoughts close to plausible continuations of their own context. Default 0.
    /// </summary>
    public double ThoughtKlWeight { get; set; }

    /// <summary>
    /// Beyond the reference (off by default): the policy weight rises linearly from 0 at thought step 0 to
    /// <see cref="PolicyLossWeight"/> at this step, so the mixing head and the LM settle before REINFORCE pushes;
    /// 0 applies the full weight from the start. Default 0.
    /// </summary>
    public int PolicyWeightWarmupSteps { get; set; }

    /// <summary>
    /// How the model thinks when it generates: before every token (the reference) or once per
    /// <see cref="TalkTokens"/> spoken tokens along the thought's branch (beyond the reference; what the non-myopic loss
    /// trains). Recorded in checkpoints so that decoding matches the training. Default <see cref="ThoughtDecoding.EveryToken"/>.
    /// </summary>
    public ThoughtDecoding Decoding { get; set; } = ThoughtDecoding.EveryToken;

    /// <summary>A fresh copy of the reference's training configuration (the defaults).</summary>
    public static QuietStarOptions Reference => new();

    /// <summary>Forward passes per training step: base + START + T + END + (M − 1) teacher-forced tokens.</summary>
    public int ForwardPasses => ThoughtTokens + TalkTokens + 2;

    /// <summary>
    /// The reference's evaluation settings on a copy of these options: one thought per position (P = 1), the mixed
    /// prediction right after END (M = 1), no mean baseline and no policy loss. Evaluation, validation and inspection
    /// all score with it.
    /// </summary>
    internal QuietStarOptions ForEvaluation() => this with { Passes = 1, TalkTokens = 1, MeanBaseline = false, IncludePolicyLoss = false };

    /// <summary>Checks every option; the exception names the option and what to do.</summary>
    /// <exception cref="ArgumentException">An option is out of range or options contradict each other.</exception>
    public void Validate()
    {
        OptionCheck.Require<QuietStarOptions>(ThoughtTokens >= 1, nameof(ThoughtTokens), $"must be at least 1 (got {ThoughtTokens}).");
        OptionCheck.Require<QuietStarOptions>(TalkTokens >= 1, nameof(TalkTokens), $"must be at least 1 (got {TalkTokens}).");
        OptionCheck.Require<QuietStarOptions>(Passes >= 1, nameof(Passes), $"must be at least 1 (got {Passes}).");
        OptionCheck.Require<QuietStarOptions>(!(MeanBaseline && IncludePolicyLoss && Passes < 2), nameof(Passes),
            $"is {Passes}, but the mean baseline needs at least 2 passes per sequence (with 1 every advantage is 0). Set Passes ≥ 2 or MeanBaseline = false.");
        OptionCheck.Require<QuietStarOptions>(GumbelTemperature > 0 && double.IsFinite(GumbelTemperature), nameof(GumbelTemperature), $"must be a positive number (got {GumbelTemperature}).");
        OptionCheck.Require<QuietStarOptions>(ReinforceTemperature > 0 && double.IsFinite(ReinforceTemperature), nameof(ReinforceTemperature), $"must be a positive number (got {ReinforceTemperature}).");
        OptionCheck.Require<QuietStarOptions>(PolicyLossWeight >= 0 && double.IsFinite(PolicyLossWeight), nameof(PolicyLossWeight), $"must be ≥ 0 and finite (got {PolicyLossWeight}).");
        OptionCheck.Require<QuietStarOptions>(BaseLossWeight is >= 0 and <= 1, nameof(BaseLossWeight), $"must be within [0, 1] (got {BaseLossWeight}).");
        OptionCheck.Require<QuietStarOptions>(ThoughtEmbeddingGradientScale > 0 && double.IsFinite(ThoughtEmbeddingGradientScale), nameof(ThoughtEmbeddingGradientScale),
            $"must be a positive number (got {ThoughtEmbeddingGradientScale}).");
        OptionCheck.Require<QuietStarOptions>(!string.IsNullOrEmpty(ThoughtInitText), nameof(ThoughtInitText), "must not be empty.");
        OptionCheck.Require<QuietStarOptions>(EndThoughtInitText is null || EndThoughtInitText.Length > 0, nameof(EndThoughtInitText), "must not be empty (null seeds END from ThoughtInitText).");
        OptionCheck.Require<QuietStarOptions>(Enum.IsDefined(Decoding), nameof(Decoding), $"has an unknown value {Decoding}.");
        OptionCheck.Require<QuietStarOptions>(!string.IsNullOrWhiteSpace(StartThoughtToken) && !string.IsNullOrWhiteSpace(EndThoughtToken) && StartThoughtToken != EndThoughtToken,
            nameof(StartThoughtToken), "and EndThoughtToken must be two different non-empty strings.");
        OptionCheck.Require<QuietStarOptions>(ThoughtEntropyWeight >= 0 && double.IsFinite(ThoughtEntropyWeight), nameof(ThoughtEntropyWeight),
            $"must be ≥ 0 and finite (got {ThoughtEntropyWeight}); the bonus raises entropy, so a negative weight would drive thoughts to collapse.");
        OptionCheck.Require<QuietStarOptions>(ThoughtKlWeight >= 0 && double.IsFinite(ThoughtKlWeight), nameof(ThoughtKlWeight),
            $"must be ≥ 0 and finite (got {ThoughtKlWeight}); a negative weight would push thoughts away from the language model.");
        OptionCheck.Require<QuietStarOptions>(PolicyWeightWarmupSteps >= 0, nameof(PolicyWeightWarmupSteps), $"must be ≥ 0; 0 applies the full policy weight from the start (got {PolicyWeightWarmupSteps}).");
        OptionCheck.Require<QuietStarOptions>(Enum.IsDefined(Attention), nameof(Attention), $"has an unknown value {Attention}.");
        OptionCheck.Require<QuietStarOptions>(Enum.IsDefined(MixingSpace), nameof(MixingSpace), $"has an unknown value {MixingSpace}.");
        OptionCheck.Require<QuietStarOptions>(Enum.IsDefined(ThoughtInitRule), nameof(ThoughtInitRule), $"has an unknown value {ThoughtInitRule}.");
    }
}

/// <summary>When a thinking model thinks while it generates.</summary>
public enum ThoughtDecoding
{
    /// <summary>
    /// A fresh thought before every token, mixed with the base prediction (the reference's decoding: only the first
    /// talk prediction of training, s = 0, is ever used). The default.
    /// </summary>
    EveryToken = 0,

    /// <summary>
    /// Beyond the reference: think once, then speak up to M tokens along that thought's branch, exactly as the
    /// non-myopic loss trains the talk steps: after END the branch reads the tokens it has spoken (teacher forcing in
    /// training) and talk step s is mixed with the base state s tokens on; after M tokens the model thinks afresh. For
    /// an answer of several tokens whose reasoning belongs before it, the thought had before the answer keeps serving
    /// it, where thinking before every token would think afresh inside the answer (docs/experiments.md, part 1).
    /// </summary>
    ThinkThenSpeak = 1,
}
