using QuietStar.Core.Common;

namespace QuietStar.Core.Training;

/// <summary>
/// Options of <see cref="QuietStarTrainer"/>. Defaults follow the reference's training script
/// (<c>quiet-star-train.py</c>: AdamW, lr 1e-6, weight decay 0.001, 20 warm-up steps, gradient norm 1.0, 4 sequences
/// × 2 accumulation steps, L = 256, 100 steps); a tiny model needs a larger learning rate (see docs).
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Total optimizer steps; a resumed run continues up to this number. Default 100.</summary>
    public int Steps { get; set; } = 100;

    /// <summary>Peak learning rate. Default 1e-6.</summary>
    public double LearningRate { get; set; } = 1e-6;

    /// <summary>AdamW weight decay of matrices; norms, biases and the START/END embeddings (every 1-D parameter) get none. Default 0.001.</summary>
    public double WeightDecay { get; set; } = 0.001;

    /// <summary>Steps of linear warm-up from lr/WarmupSteps to the peak. Default 20.</summary>
    public int WarmupSteps { get; set; } = 20;

    /// <summary>The curve after the warm-up. Default <see cref="LearningRateSchedule.Constant"/>.</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Constant;

    /// <summary>Gradients are rescaled so that their global L2 norm is at most this. Default 1.0.</summary>
    public double MaxGradNorm { get; set; } = 1.0;

    /// <summary>AdamW β₁. Default 0.9.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>AdamW β₂. Default 0.999.</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>AdamW ε. Default 1e-8.</summary>
    public double Epsilon { get; set; } = 1e-8;

    /// <summary>Sequences per micro-batch (each repeated P times for the thoughts). Default 4.</summary>
    public int BatchSize { get; set; } = 4;

    /// <summary>Micro-batches whose gradients are averaged into one optimizer step. Default 2.</summary>
    public int GradientAccumulation { get; set; } = 2;

    /// <summary>Tokens per sequence, L. Default 256.</summary>
    public int SequenceLength { get; set; } = 256;

    /// <summary>Seed of the validation split, the data order and crops, and the thought samples. Default 42.</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Fraction of documents held out for validation, in [0, 1). Default 0.05.</summary>
    public double ValidationFraction { get; set; } = 0.05;

    /// <summary>Validate every this many steps and after the last one; 0 never validates. Default 10.</summary>
    public int EvalEvery { get; set; } = 10;

    /// <summary>Batches of <see cref="BatchSize"/> validation sequences per validation. Default 4.</summary>
    public int EvalBatches { get; set; } = 4;

    /// <summary>Folder of the training checkpoint (replaced atomically at each save); null saves none. Default null.</summary>
    public string? CheckpointFolder { get; set; }

    /// <summary>Save a checkpoint every this many steps; 0 saves only after the last step. Needs <see cref="CheckpointFolder"/>. Default 0.</summary>
    public int CheckpointEvery { get; set; }

    /// <summary>
    /// Train with the plain next-token loss and no thoughts: the equal-step baseline on the same data in the same
    /// order. The START/END embeddings and the mixing head stay untouched. Default false.
    /// </summary>
    public bool NoThoughts { get; set; }

    /// <summary>
    /// Beyond the reference (off by default): the first this many optimizer steps train the plain next-token loss
    /// without thoughts (a warm start, as in <see cref="NoThoughts"/>); thoughts are switched on after them and the
    /// policy-weight warm-up counts from there. Lets a model that barely knows the corpus learn it before REINFORCE
    /// rewards thoughts against a moving base. Default 0.
    /// </summary>
    public int PlainLanguageModelSteps { get; set; }

    /// <summary>
    /// Beyond the reference (1 by default): the mixing head's learning rate is this multiple of the scheduled one. The
    /// head's last layer starts at zero, so at a small model's learning rate the mixing weight can stay near 0 for
    /// hundreds of steps while the thoughts already carry the answer (docs/experiments.md). Default 1.
    /// </summary>
    public double MixingHeadLearningRateMultiplier { get; set; } = 1.0;

    /// <summary>
    /// Beyond the reference (off by default): <see cref="MixedPrecision.BFloat16"/> runs forward and backward on a
    /// bfloat16 copy of the model while the model's own float32 parameters stay the master weights that AdamW updates
    /// (with float32 moments); checkpoints hold the float32 masters. Needs a float32 model and the reference mixing
    /// head. Pays off on accelerators with bf16 matrix units (CUDA tensor cores); see docs/performance.md for this CPU.
    /// Default <see cref="MixedPrecision.None"/>.
    /// </summary>
    public MixedPrecision MixedPrecision { get; set; }

    /// <summary>Checks every option on its own; the exception names the option.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        OptionCheck.Require<TrainingOptions>(Steps >= 1, nameof(Steps), $"must be at least 1 (got {Steps}).");
        OptionCheck.Require<TrainingOptions>(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), $"must be a positive number (got {LearningRate}).");
        OptionCheck.Require<TrainingOptions>(MixingHeadLearningRateMultiplier > 0 && double.IsFinite(MixingHeadLearningRateMultiplier), nameof(MixingHeadLearningRateMultiplier),
            $"must be a positive number (got {MixingHeadLearningRateMultiplier}).");
        OptionCheck.Require<TrainingOptions>(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay), $"must be ≥ 0 (got {WeightDecay}).");
        OptionCheck.Require<TrainingOptions>(WarmupSteps >= 0, nameof(WarmupSteps), $"must be ≥ 0 (got {WarmupSteps}).");
        OptionCheck.Require<TrainingOptions>(Enum.IsDefined(MixedPrecision), nameof(MixedPrecision), $"has an unknown value {MixedPrecision}.");
        OptionCheck.Require<TrainingOptions>(Enum.IsDefined(Schedule), nameof(Schedule), $"has an unknown value {Schedule}.");
        OptionCheck.Require<TrainingOptions>(MaxGradNorm > 0, nameof(MaxGradNorm), $"must be positive (got {MaxGradNorm}); use double.PositiveInfinity to disable clipping.");
        OptionCheck.Require<TrainingOptions>(Beta1 is >= 0 and < 1, nameof(Beta1), $"must be in [0, 1) (got {Beta1}).");
        OptionCheck.Require<TrainingOptions>(Beta2 is >= 0 and < 1, nameof(Beta2), $"must be in [0, 1) (got {Beta2}).");
        OptionCheck.Require<TrainingOptions>(Epsilon > 0 && double.IsFinite(Epsilon), nameof(Epsilon), $"must be a positive number (got {Epsilon}).");
        OptionCheck.Require<TrainingOptions>(BatchSize >= 1, nameof(BatchSize), $"must be at least 1 (got {BatchSize}).");
        OptionCheck.Require<TrainingOptions>(GradientAccumulation >= 1, nameof(GradientAccumulation), $"must be at least 1 (got {GradientAccumulation}).");
        OptionCheck.Require<TrainingOptions>(SequenceLength >= 2, nameof(SequenceLength), $"must be at least 2 tokens (got {SequenceLength}).");
        OptionCheck.Require<TrainingOptions>(PlainLanguageModelSteps >= 0, nameof(PlainLanguageModelSteps), $"must be ≥ 0; 0 switches thoughts on from the first step (got {PlainLanguageModelSteps}).");
        OptionCheck.Require<TrainingOptions>(PlainLanguageModelSteps == 0 || !NoThoughts, nameof(PlainLanguageModelSteps),
            $"is {PlainLanguageModelSteps}, but NoThoughts already trains the plain LM at every step; set one of them.");
        OptionCheck.Require<TrainingOptions>(PlainLanguageModelSteps < Steps || NoThoughts, nameof(PlainLanguageModelSteps),
            $"{PlainLanguageModelSteps} must be less than TrainingOptions.Steps {Steps}: thoughts would never switch on (NoThoughts trains the plain LM throughout).");
        OptionCheck.Require<TrainingOptions>(ValidationFraction is >= 0 and < 1, nameof(ValidationFraction), $"must be in [0, 1) (got {ValidationFraction}).");
        OptionCheck.Require<TrainingOptions>(EvalEvery >= 0, nameof(EvalEvery), $"must be ≥ 0; 0 disables validation (got {EvalEvery}).");
        OptionCheck.Require<TrainingOptions>(EvalBatches >= 1, nameof(EvalBatches), $"must be at least 1 (got {EvalBatches}).");
        OptionCheck.Require<TrainingOptions>(CheckpointEvery >= 0, nameof(CheckpointEvery), $"must be ≥ 0; 0 saves only at the end (got {CheckpointEvery}).");
        OptionCheck.Require<TrainingOptions>(CheckpointEvery == 0 || CheckpointFolder is not null, nameof(CheckpointEvery), "needs CheckpointFolder to be set.");
        OptionCheck.Require<TrainingOptions>(CheckpointFolder is null || !string.IsNullOrWhiteSpace(CheckpointFolder), nameof(CheckpointFolder), "must not be blank (use null for no checkpoints).");
    }
}

/// <summary>The learning-rate curve after the linear warm-up.</summary>
public enum LearningRateSchedule
{
    /// <summary>Constant at the peak rate (the reference's linear decay over 100,000 steps is constant for its 100 steps). The default.</summary>
    Constant,

    /// <summary>Half a cosine from the peak rate down towards 0 at <see cref="TrainingOptions.Steps"/>.</summary>
    Cosine,
}

/// <summary>The compute precision of training steps (<see cref="TrainingOptions.MixedPrecision"/>).</summary>
public enum MixedPrecision
{
    /// <summary>Forward, backward and update in the model's own dtype. The default.</summary>
    None,

    /// <summary>Forward and backward on a bfloat16 copy; float32 master weights, gradients and AdamW state.</summary>
    BFloat16,
}
