using QuietStar.Core.Algorithm;

namespace QuietStar.Cli.Commands.Train;

/// <summary>
/// A set of defaults for <c>quietstar train</c>; each value can be overridden by its own option. <see cref="Small"/>
/// (the default) is sized for the embedded stories260K on a 2-core CPU; <see cref="Reference"/> is the reference's
/// recipe for Mistral 7B (docs/cli.md explains why it does not suit a 260K-parameter model).
/// </summary>
/// <param name="Name">The preset's name on the command line.</param>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="SequenceLength">Tokens per training sequence.</param>
/// <param name="Batch">Sequences per micro-batch.</param>
/// <param name="GradientAccumulation">Micro-batches per optimizer step.</param>
/// <param name="Passes">Thoughts sampled per position.</param>
/// <param name="ThoughtTokens">Sampled tokens per thought.</param>
/// <param name="TalkTokens">True tokens scored after each thought.</param>
/// <param name="LearningRate">Peak AdamW learning rate.</param>
/// <param name="WarmupSteps">Linear warm-up steps.</param>
/// <param name="PolicyWeight">Weight of the REINFORCE term.</param>
/// <param name="NormalizeAdvantages">Whether advantages are divided by their batch standard deviation (beyond the reference).</param>
/// <param name="EvalEvery">Validate every this many steps.</param>
/// <param name="EvalBatches">Validation batches (of <paramref name="Batch"/> held-out documents).</param>
internal sealed record TrainPreset(
    string Name,
    int Steps,
    int SequenceLength,
    int Batch,
    int GradientAccumulation,
    int Passes,
    int ThoughtTokens,
    int TalkTokens,
    double LearningRate,
    int WarmupSteps,
    double PolicyWeight,
    bool NormalizeAdvantages,
    int EvalEvery,
    int EvalBatches)
{
    /// <summary>Text seeding START (and END unless <see cref="EndInit"/>). Default the reference's "---".</summary>
    public string StartInit { get; init; } = "---";

    /// <summary>Text seeding END; null: the same as START. Default null.</summary>
    public string? EndInit { get; init; }

    /// <summary>START/END gradient multiplier (the reference's embedding scale). Default 100.</summary>
    public double EmbeddingGradientScale { get; init; } = 100;

    /// <summary>The mixing head's learning rate as a multiple of the model's. Default 1.</summary>
    public double MixingHeadLearningRateMultiplier { get; init; } = 1;

    /// <summary>How the trained model thinks when it generates. Default before every token.</summary>
    public ThoughtDecoding Decoding { get; init; } = ThoughtDecoding.EveryToken;

    /// <summary>
    /// When set, the preset trains on a freshly generated terse addition corpus with operands of this many digits
    /// (<see cref="ArithmeticProblemCount"/> problems, seeded by --seed), starts from the shipped arithmetic model, and
    /// measures exact match on held-out problems before and after. Default null (text training).
    /// </summary>
    public int? ArithmeticDigits { get; init; }

    /// <summary>Problems in the generated training corpus. Default 20,000.</summary>
    public int ArithmeticProblemCount { get; init; } = 20_000;

    /// <summary>Held-out problems scored for exact match before and after training (0: none). Default 0.</summary>
    public int ExactMatchProblems { get; init; }

    /// <summary>
    /// The default: finishes in 5–10 minutes on 2 CPU cores with the embedded model (measured, see docs/cli.md), with
    /// the best recipe of the ablation in docs/experiments.md: policy weight 0. The thoughts are the model's own samples
    /// and are learned only through the language-modelling loss (START/END, the mixing head, the model's use of the
    /// thought context); every REINFORCE weight tried (0.1 to 1e6) was worse at this size. Normalised advantages stay
    /// on so that <c>--policy-weight 1</c> gives the next-best recipe.
    /// </summary>
    public static TrainPreset Small { get; } = new("small", Steps: 200, SequenceLength: 128, Batch: 4, GradientAccumulation: 1, Passes: 2,
        ThoughtTokens: 6, TalkTokens: 4, LearningRate: 3e-4, WarmupSteps: 20, PolicyWeight: 0, NormalizeAdvantages: true, EvalEvery: 25, EvalBatches: 16);

    /// <summary>The reference's <c>quiet-star-train.py</c> recipe (lr 1e-6, policy weight 1e6, L 256, T 9, M 4, 4 × 2 sequences, 100 steps).</summary>
    public static TrainPreset Reference { get; } = new("reference", Steps: 100, SequenceLength: 256, Batch: 4, GradientAccumulation: 2, Passes: 2,
        ThoughtTokens: 9, TalkTokens: 4, LearningRate: 1e-6, WarmupSteps: 20, PolicyWeight: 1e6, NormalizeAdvantages: false, EvalEvery: 10, EvalBatches: 4);

    /// <summary>
    /// Thoughts that think (docs/experiments.md): the shipped arithmetic model (pretrained on worked and terse 3-digit
    /// additions, it adds well only when it writes the column working) fine-tuned with Quiet-STaR on terse problems.
    /// START/END are seeded from "(" and ")" and T = 8 is the working's length, so the thought before the answer can be
    /// the working; M = 4 talk tokens cover the answer, and the model decodes by thinking once and speaking M tokens.
    /// The START/END gradient scale is 1 (the reference's 100 drifts them within ~100 steps). The model learns at 1e-5
    /// and the mixing head at 300× that (3e-3): at initialisation the thought mixed in at a constant w = 0.5 already
    /// adds 98 % right, so the head is what must learn, and a faster model (1e-4) drifts the thought branch while it
    /// does (84–94 % against 94.5–96.5 %, docs/experiments.md). Policy weight 0: REINFORCE is not needed when the
    /// thoughts start aligned.
    /// </summary>
    public static TrainPreset Arithmetic { get; } = new("arithmetic", Steps: 160, SequenceLength: 32, Batch: 16, GradientAccumulation: 1, Passes: 2,
        ThoughtTokens: 8, TalkTokens: 4, LearningRate: 1e-5, WarmupSteps: 10, PolicyWeight: 0, NormalizeAdvantages: false, EvalEvery: 40, EvalBatches: 8)
    {
        StartInit = "(",
        EndInit = ")",
        EmbeddingGradientScale = 1,
        MixingHeadLearningRateMultiplier = 300,
        Decoding = ThoughtDecoding.ThinkThenSpeak,
        ArithmeticDigits = 3,
        ExactMatchProblems = 200,
    };

    /// <summary>The presets by name.</summary>
    public static IReadOnlyList<TrainPreset> All { get; } = [Small, Reference, Arithmetic];

    /// <summary>The preset called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static TrainPreset? Find(string name) => All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
