using System.ComponentModel;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Train;

/// <summary>
/// Options of <c>quietstar train</c>. Unset values come from the preset for a new run, or from the checkpoint's
/// saved run on <c>--resume</c>, so that a resumed run continues exactly.
/// </summary>
internal sealed class TrainSettings : ModelSettings
{
    /// <summary>Text files to train on; the embedded GSM8K train text when none.</summary>
    [CommandOption("--data <FILE>")]
    [Description("Training text: plain text (documents separated by blank lines) or JSON Lines with a \"text\" field. Repeat for several files. Default: the embedded GSM8K train text.")]
    public string[]? Data { get; init; }

    /// <summary>Total optimizer steps.</summary>
    [CommandOption("--steps <N>")]
    [Description("Total optimizer steps; with --resume, the step to continue up to. Default: the preset's (small: 200).")]
    public int? Steps { get; init; }

    /// <summary>The run folder.</summary>
    [CommandOption("--out <DIR>")]
    [Description("Run folder: checkpoint/ and training_curves.svg are written there. Default: runs/quietstar-<timestamp>.")]
    public string? Out { get; init; }

    /// <summary>A checkpoint to continue.</summary>
    [CommandOption("--resume <DIR>")]
    [Description("Continue a training checkpoint (a checkpoint folder, or a run folder holding checkpoint/) up to --steps, bit for bit as an uninterrupted run.")]
    public string? Resume { get; init; }

    /// <summary>Seed of data order, crops, validation split and thoughts.</summary>
    [CommandOption("--seed <S>")]
    [Description("Seed of the data order and crops, the validation split, the initialisation and the thoughts. Default 42.")]
    public long? Seed { get; init; }

    /// <summary>Tokens per training sequence.</summary>
    [CommandOption("--seq-len <L>")]
    [Description("Tokens per training sequence. Default: the preset's (small: 128).")]
    public int? SequenceLength { get; init; }

    /// <summary>Sequences per micro-batch.</summary>
    [CommandOption("--batch <B>")]
    [Description("Sequences per micro-batch. Default: the preset's (small: 4).")]
    public int? Batch { get; init; }

    /// <summary>Thoughts per position.</summary>
    [CommandOption("--passes <P>")]
    [Description("Thoughts sampled per position (at least 2 for the mean baseline). Default 2.")]
    public int? Passes { get; init; }

    /// <summary>Sampled thought tokens.</summary>
    [CommandOption("--thought-tokens <T>")]
    [Description("Sampled tokens per thought. Default: the preset's (small: 6).")]
    public int? ThoughtTokens { get; init; }

    /// <summary>Talk tokens.</summary>
    [CommandOption("--talk-tokens <M>")]
    [Description("True tokens scored after each thought (non-myopic loss). Default 4.")]
    public int? TalkTokens { get; init; }

    /// <summary>Peak learning rate.</summary>
    [CommandOption("--lr <LR>")]
    [Description("Peak AdamW learning rate. Default: the preset's (small: 3e-4; reference: 1e-6).")]
    public double? LearningRate { get; init; }

    /// <summary>Warm-up steps.</summary>
    [CommandOption("--warmup <N>")]
    [Description("Linear learning-rate warm-up steps. Default: the preset's (20; arithmetic: 10).")]
    public int? Warmup { get; init; }

    /// <summary>REINFORCE weight.</summary>
    [CommandOption("--policy-weight <W>")]
    [Description("Weight of the REINFORCE term. Default: the preset's (small: 0, so the thoughts learn through the language-modelling loss only; reference: 1e6; arithmetic: 0).")]
    public double? PolicyWeight { get; init; }

    /// <summary>Weight of the thought-entropy bonus.</summary>
    [CommandOption("--entropy-weight <W>")]
    [Description("Weight of a bonus on the entropy of the thought tokens' distributions, against collapse to a few thoughts (beyond the reference). Default 0.")]
    public double? EntropyWeight { get; init; }

    /// <summary>Score the reward with the thought branch's own prediction.</summary>
    [CommandOption("--reward-from-thought")]
    [Description("Score the REINFORCE reward with the thought branch's own prediction instead of the mixed one (beyond the reference: at w = 0 the mixed reward is 0 for every thought, so the policy cannot start from a neutral init). The LM loss is unchanged.")]
    public bool RewardFromThought { get; init; }

    /// <summary>Weight of the KL penalty towards the language model.</summary>
    [CommandOption("--kl-weight <W>")]
    [Description("Weight of a KL penalty keeping the thought tokens' distributions near the base pass's next-token distribution at the same position (beyond the reference). Default 0.")]
    public double? KlWeight { get; init; }

    /// <summary>Divide advantages by their standard deviation.</summary>
    [CommandOption("--normalize-advantages")]
    [Description("Divide the REINFORCE advantages by their standard deviation over the batch, so the policy weight no longer scales with reward size (beyond the reference; use a policy weight near 1).")]
    public bool NormalizeAdvantages { get; init; }

    /// <summary>Turn off the preset's advantage normalisation.</summary>
    [CommandOption("--raw-advantages")]
    [Description("Do not normalise advantages (the reference's REINFORCE; the small preset normalises). Use with a large --policy-weight, e.g. 100.")]
    public bool RawAdvantages { get; init; }

    /// <summary>Policy-weight ramp.</summary>
    [CommandOption("--policy-warmup <N>")]
    [Description("Ramp the policy weight linearly from 0 to --policy-weight over the first N thinking steps (beyond the reference). Default 0.")]
    public int? PolicyWarmup { get; init; }

    /// <summary>Plain-LM warm start.</summary>
    [CommandOption("--lm-steps <N>")]
    [Description("Train the plain language model (no thoughts) for the first N steps, then switch thoughts on (beyond the reference). Must be less than --steps. Default 0.")]
    public int? LmSteps { get; init; }

    /// <summary>Validation interval.</summary>
    [CommandOption("--eval-every <N>")]
    [Description("Validate on held-out documents every N steps and after the last (0: only the curves' training values). Default: the preset's (small: 25).")]
    public int? EvalEvery { get; init; }

    /// <summary>Text seeding START.</summary>
    [CommandOption("--start-init <TEXT>")]
    [Description("Text whose token embedding seeds START (and END unless --end-init). Default: the preset's (\"---\" as the reference; arithmetic: \"(\").")]
    public string? StartInit { get; init; }

    /// <summary>Text seeding END.</summary>
    [CommandOption("--end-init <TEXT>")]
    [Description("Text whose token embedding seeds END. Default: the preset's (the same as START; arithmetic: \")\").")]
    public string? EndInit { get; init; }

    /// <summary>START/END gradient multiplier.</summary>
    [CommandOption("--embedding-grad-scale <S>")]
    [Description("Gradient multiplier of the START/END embeddings (the reference's embedding_scale). Default: the preset's (100; arithmetic: 1).")]
    public double? EmbeddingGradScale { get; init; }

    /// <summary>Mixing-head learning-rate multiplier.</summary>
    [CommandOption("--head-lr-mult <X>")]
    [Description("The mixing head's learning rate as a multiple of --lr (beyond the reference). Default: the preset's (1; arithmetic: 30).")]
    public double? HeadLrMult { get; init; }

    /// <summary>Mixed-precision training.</summary>
    [CommandOption("--mixed-precision <MODE>")]
    [Description("none, or bf16: forward and backward on a bfloat16 copy of the model, float32 master weights and AdamW state (needs --dtype float32; checkpoints stay float32). On this CPU it is slower than float32 (docs/performance.md); it pays on GPUs with bf16 tensor cores. Default: the resumed run's, else none.")]
    public string? MixedPrecision { get; init; }

    /// <summary>The chosen mixed precision, or null when not given.</summary>
    public MixedPrecision? ChosenMixedPrecision => MixedPrecision?.ToLowerInvariant() switch
    {
        null => null,
        "none" or "off" => Core.Training.MixedPrecision.None,
        "bf16" or "bfloat16" => Core.Training.MixedPrecision.BFloat16,
        _ => null,
    };

    /// <summary>How the trained model thinks when it generates.</summary>
    [CommandOption("--decoding <MODE>")]
    [Description("every-token (a fresh thought before every token, the reference) or think-then-speak (think once, speak --talk-tokens tokens along the thought), recorded in the checkpoint. Default: the preset's (every-token; arithmetic: think-then-speak).")]
    public string? Decoding { get; init; }

    /// <summary>Digits of the generated arithmetic corpus.</summary>
    [CommandOption("--digits <N>")]
    [Description("With --preset arithmetic: digits per operand of the generated terse corpus and of the exact-match problems (the shipped model knows 3). Default 3.")]
    public int? Digits { get; init; }

    /// <summary>Held-out problems for exact match.</summary>
    [CommandOption("--exact-match <N>")]
    [Description("With --preset arithmetic: held-out problems scored for exact match before and after training, with and without thoughts and with random thoughts (0: none). Default 200.")]
    public int? ExactMatch { get; init; }

    /// <summary>The chosen decoding mode, or null for the preset's.</summary>
    public ThoughtDecoding? ChosenDecoding => DecodingFlag.Parse(Decoding);

    /// <summary>Digits of the arithmetic task, or null when the run trains on text.</summary>
    public int? ArithmeticDigits => ChosenPreset.ArithmeticDigits is { } digits ? Digits ?? digits : null;

    /// <summary>Held-out problems scored before and after (0 when the run is not arithmetic).</summary>
    public int ExactMatchProblems => ArithmeticDigits is null ? 0 : ExactMatch ?? ChosenPreset.ExactMatchProblems;

    /// <summary>
    /// Tokens of the longest terse N-digit problem in a character-level vocabulary, with BOS and EOS (30 at 3 digits;
    /// each digit more adds three: one per operand, one to the sum): the arithmetic preset's sequence length.
    /// </summary>
    public static int ArithmeticSequenceLength(int digits) => Math.Max(32, 3 * digits + 23);

    /// <summary>A model configuration to initialise a fresh model from.</summary>
    [CommandOption("--init <CONFIG>")]
    [Description("Pretrain from scratch: a Hugging Face config.json (llama/mistral/qwen2 shapes) whose model is created with random weights (seeded by --seed), with the --tokenizer given or the embedded tok512. A --no-thoughts run also writes the trained model as a plain Hugging Face folder, model/, in the run folder.")]
    public string? Init { get; init; }

    /// <summary>Train without thoughts.</summary>
    [CommandOption("--no-thoughts")]
    [Description("Train the plain language model on the same data in the same order: the equal-steps baseline.")]
    public bool NoThoughts { get; init; }

    /// <summary>The preset of unset values.</summary>
    [CommandOption("--preset <NAME>")]
    [Description("Defaults to start from: small (sized for stories260K on a 2-core CPU), reference (the paper's 7B recipe) or arithmetic (the shipped arithmetic model on generated terse additions, exact match before and after: thoughts that think). Default: small.")]
    public string? Preset { get; init; }

    /// <summary>The chosen preset.</summary>
    public TrainPreset ChosenPreset => TrainPreset.Find(Preset ?? TrainPreset.Small.Name) ?? TrainPreset.Small;

    /// <summary>The checkpoint folder <see cref="Resume"/> names: itself, or its <c>checkpoint</c> subfolder.</summary>
    public string? ResumeCheckpoint => Resume is null ? null
        : IsCheckpoint(Resume) ? Resume
        : Path.Combine(Resume, TrainCommand.CheckpointFolderName);

    /// <inheritdoc />
    protected override long TokensPerForwardCall =>
        (long)(Batch ?? ChosenPreset.Batch) * (Passes ?? ChosenPreset.Passes) * (SequenceLength ?? ChosenPreset.SequenceLength);

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        string? problem = CheckCombinations() ?? CheckFiles() ?? CheckResume() ?? CheckInit();
        return problem is not null ? ValidationResult.Error(problem)
            : Init is not null ? ValidationResult.Success() // --tokenizer goes with --init as with --model
            : base.Validate();
    }

    /// <summary>
    /// The algorithm options of a new run: those a checkpoint was trained with (<paramref name="trained"/>) or the
    /// preset's, overridden by the options given.
    /// </summary>
    public QuietStarOptions ToQuietStarOptions(QuietStarOptions? trained)
    {
        var preset = ChosenPreset;
        var start = trained ?? QuietStarOptions.Reference with
        {
            ThoughtTokens = preset.ThoughtTokens,
            TalkTokens = preset.TalkTokens,
            Passes = preset.Passes,
            PolicyLossWeight = preset.PolicyWeight,
            NormalizeAdvantages = preset.NormalizeAdvantages,
            ThoughtInitText = preset.StartInit,
            EndThoughtInitText = preset.EndInit,
            ThoughtEmbeddingGradientScale = preset.EmbeddingGradientScale,
            Decoding = preset.Decoding,
        };
        var options = start with
        {
            ThoughtTokens = ThoughtTokens ?? start.ThoughtTokens,
            TalkTokens = TalkTokens ?? start.TalkTokens,
            Passes = Passes ?? start.Passes,
            PolicyLossWeight = PolicyWeight ?? start.PolicyLossWeight,
            ThoughtEntropyWeight = EntropyWeight ?? start.ThoughtEntropyWeight,
            ThoughtKlWeight = KlWeight ?? start.ThoughtKlWeight,
            NormalizeAdvantages = !RawAdvantages && (NormalizeAdvantages || start.NormalizeAdvantages),
            RewardFromThought = RewardFromThought || start.RewardFromThought,
            PolicyWeightWarmupSteps = PolicyWarmup ?? start.PolicyWeightWarmupSteps,
            ThoughtInitText = StartInit ?? start.ThoughtInitText,
            EndThoughtInitText = EndInit ?? (StartInit is not null ? null : start.EndThoughtInitText),
            ThoughtEmbeddingGradientScale = EmbeddingGradScale ?? start.ThoughtEmbeddingGradientScale,
            Decoding = ChosenDecoding ?? start.Decoding,
        };
        options.Validate();
        return options;
    }

    /// <summary>
    /// The training options: those of <paramref name="saved"/> (a resumed run) or of the preset, overridden by the
    /// options given, saving to <paramref name="checkpointFolder"/>.
    /// </summary>
    public TrainingOptions ToTrainingOptions(TrainingOptions? saved, string checkpointFolder)
    {
        var preset = ChosenPreset;
        var start = saved ?? new TrainingOptions
        {
            Steps = preset.Steps,
            SequenceLength = preset.SequenceLength,
            BatchSize = preset.Batch,
            GradientAccumulation = preset.GradientAccumulation,
            LearningRate = preset.LearningRate,
            WarmupSteps = preset.WarmupSteps,
            EvalEvery = preset.EvalEvery,
            EvalBatches = preset.EvalBatches,
            MixingHeadLearningRateMultiplier = preset.MixingHeadLearningRateMultiplier,
        };
        return start with
        {
            Steps = Steps ?? start.Steps,
            SequenceLength = SequenceLength ?? (saved is null && ArithmeticDigits is { } digits ? ArithmeticSequenceLength(digits) : start.SequenceLength),
            BatchSize = Batch ?? start.BatchSize,
            LearningRate = LearningRate ?? start.LearningRate,
            WarmupSteps = Warmup ?? start.WarmupSteps,
            EvalEvery = EvalEvery ?? start.EvalEvery,
            Seed = Seed ?? start.Seed,
            NoThoughts = NoThoughts || start.NoThoughts,
            PlainLanguageModelSteps = LmSteps ?? start.PlainLanguageModelSteps,
            MixingHeadLearningRateMultiplier = HeadLrMult ?? start.MixingHeadLearningRateMultiplier,
            MixedPrecision = ChosenMixedPrecision ?? start.MixedPrecision,
            CheckpointFolder = checkpointFolder,
        };
    }

    /// <summary>The first thought option given that differs from the checkpoint's <paramref name="trained"/> options (a resumed run cannot change them), or null.</summary>
    public string? ChangedThoughtOption(QuietStarOptions trained) => new (string Option, bool Changed)[]
    {
        ($"--passes {Passes} (the checkpoint has {trained.Passes})", Passes is { } p && p != trained.Passes),
        ($"--thought-tokens {ThoughtTokens} (the checkpoint has {trained.ThoughtTokens})", ThoughtTokens is { } t && t != trained.ThoughtTokens),
        ($"--talk-tokens {TalkTokens} (the checkpoint has {trained.TalkTokens})", TalkTokens is { } m && m != trained.TalkTokens),
        ($"--policy-weight {PolicyWeight} (the checkpoint has {trained.PolicyLossWeight})", PolicyWeight is { } w && w != trained.PolicyLossWeight),
        ($"--entropy-weight {EntropyWeight} (the checkpoint has {trained.ThoughtEntropyWeight})", EntropyWeight is { } e && e != trained.ThoughtEntropyWeight),
        ($"--kl-weight {KlWeight} (the checkpoint has {trained.ThoughtKlWeight})", KlWeight is { } k && k != trained.ThoughtKlWeight),
        ("--normalize-advantages (the checkpoint was trained without it)", NormalizeAdvantages && !trained.NormalizeAdvantages),
        ($"--policy-warmup {PolicyWarmup} (the checkpoint has {trained.PolicyWeightWarmupSteps})", PolicyWarmup is { } r && r != trained.PolicyWeightWarmupSteps),
        ($"--embedding-grad-scale {EmbeddingGradScale} (the checkpoint has {trained.ThoughtEmbeddingGradientScale})", EmbeddingGradScale is { } g && g != trained.ThoughtEmbeddingGradientScale),
        ("--start-init/--end-init (a resumed run's START/END are already trained)", StartInit is not null || EndInit is not null),
        ($"--decoding {Decoding} (the checkpoint decodes {DecodingFlag.Name(trained.Decoding)})", ChosenDecoding is { } d && d != trained.Decoding),
        ("--raw-advantages (the checkpoint was trained with normalised advantages)", RawAdvantages && trained.NormalizeAdvantages),
        ("--reward-from-thought (the checkpoint was trained with the mixed reward)", RewardFromThought && !trained.RewardFromThought),
    }.FirstOrDefault(check => check.Changed).Option;

    /// <summary>
    /// The checks no options class can make: flags that contradict each other, choices by name, the arithmetic task's
    /// flags. Ranges (steps, lengths, weights, rates) are left to <see cref="TrainingOptions.Validate"/> and
    /// <see cref="QuietStarOptions.Validate"/>, whose messages name the flag (<see cref="Infrastructure.ErrorReporter"/>).
    /// </summary>
    private string? CheckCombinations() => new (bool Bad, string Problem)[]
    {
        (Preset is not null && TrainPreset.Find(Preset) is null, $"--preset must be one of {string.Join(", ", TrainPreset.All.Select(p => p.Name))} (got '{Preset}')."),
        (RawAdvantages && NormalizeAdvantages, "--raw-advantages and --normalize-advantages contradict each other; give one."),
        (NoThoughts && (EntropyWeight > 0 || KlWeight > 0 || NormalizeAdvantages || PolicyWarmup > 0 || RewardFromThought), "--entropy-weight, --kl-weight, --normalize-advantages, --policy-warmup and --reward-from-thought shape the thoughts, but --no-thoughts turns them off."),
        (DecodingFlag.Problem(Decoding) is not null, DecodingFlag.Problem(Decoding)!),
        (MixedPrecision is not null && ChosenMixedPrecision is null, $"--mixed-precision must be none or bf16 (got '{MixedPrecision}')."),
        (ChosenMixedPrecision is Core.Training.MixedPrecision.BFloat16 && TorchTarget.DTypeError(DTypeName) is null && TorchTarget.DType(DTypeName) != TorchSharp.torch.ScalarType.Float32,
            $"--mixed-precision bf16 keeps float32 master weights and computes on a bfloat16 copy, so it needs --dtype float32 (got {DTypeName}); drop --dtype, or drop --mixed-precision to train in {DTypeName} as it is."),
        (StartInit is "" || EndInit is "", "--start-init and --end-init must not be empty."),
        (Digits is < 1 or > Core.Data.ArithmeticProblems.MaxDigits, $"--digits must be from 1 to {Core.Data.ArithmeticProblems.MaxDigits} (got {Digits})."),
        (ExactMatch < 0, $"--exact-match must be 0 or more (got {ExactMatch})."),
        ((Digits is not null || ExactMatch is not null) && ChosenPreset.ArithmeticDigits is null, "--digits and --exact-match belong to the arithmetic task; add --preset arithmetic."),
        (Digits is not null && Resume is not null, "--digits cannot be combined with --resume: a resumed arithmetic run continues on its own problems."),
        (ChosenPreset.ArithmeticDigits is not null && Data is { Length: > 0 }, "--preset arithmetic generates its own terse corpus; drop --data (or train on your file with another preset)."),
    }.FirstOrDefault(check => check.Bad).Problem;

    private string? CheckFiles() =>
        Data?.FirstOrDefault(file => !File.Exists(file)) is { } missing ? $"--data file '{missing}' does not exist."
        : Out is not null && File.Exists(Out) ? $"--out '{Out}' is a file; give a folder."
        : null;

    private string? CheckInit() => Init is null ? null
        : Model is not null ? "--init creates a fresh model from a configuration; it cannot be combined with --model."
        : Resume is not null ? "--init cannot be combined with --resume: the checkpoint holds the model."
        : !File.Exists(Init) ? $"--init file '{Init}' does not exist (give a config.json)."
        : Tokenizer is not null && !File.Exists(Tokenizer) && !Directory.Exists(Tokenizer) ? $"--tokenizer '{Tokenizer}' does not exist."
        : null;

    private string? CheckResume()
    {
        if (Resume is null)
        {
            return null;
        }

        // A task preset (arithmetic) names the data a resumed run continues on; any other preset only holds options the checkpoint fixes.
        string? fixedByCheckpoint = Model is not null ? "--model" : Preset is not null && ChosenPreset.ArithmeticDigits is null ? "--preset" : null;
        return fixedByCheckpoint is not null ? $"{fixedByCheckpoint} cannot be combined with --resume: the checkpoint holds the model and its options."
            : !Directory.Exists(Resume) ? $"--resume folder '{Resume}' does not exist."
            : !IsCheckpoint(ResumeCheckpoint!) ? $"--resume '{Resume}' holds no checkpoint (no quietstar.json in it or in its {TrainCommand.CheckpointFolderName}/ folder)."
            : null;
    }
}
