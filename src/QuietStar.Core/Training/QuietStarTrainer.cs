using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuietStar.Core.Training;

/// <summary>
/// Trains a <see cref="QuietStarModel"/> on a <see cref="TextCorpus"/> (paper §4, reference <c>quiet-star-train.py</c>):
/// AdamW with decay on matrices only, linear warm-up then constant or cosine, gradient clipping and accumulation,
/// periodic validation and atomic checkpoints that resume bit for bit. With <see cref="TrainingOptions.NoThoughts"/>
/// it trains the same model on the same data in the same order with the plain LM loss (the baseline); with
/// <see cref="TrainingOptions.PlainLanguageModelSteps"/> it does so only for the first steps (a warm start).
/// </summary>
/// <remarks>
/// A step runs synchronously on the calling thread (TorchSharp's dispose scopes are per thread), with one dispose
/// scope per micro-batch. Randomness comes only from <see cref="TrainingOptions.Seed"/>: the data sampler, a torch
/// <see cref="Generator"/> for the thoughts and a separate one for validation; global torch state is never touched.
/// </remarks>
public sealed class QuietStarTrainer : IDisposable
{
    /// <summary>Name of the <see cref="System.Diagnostics.Metrics.Meter"/> the trainer records to.</summary>
    public const string MeterName = TrainingMetrics.MeterName;

    private readonly TrainingOptions options;
    private readonly ILogger logger;
    private readonly QuietStarComponents components;
    private readonly QuietStarObjective objective;
    private readonly Parameter[] parameters;
    private readonly AdamW optimizer;
    private readonly double[] groupScales;
    private readonly Generator thoughtGenerator;
    private readonly MixedPrecisionCopy? mixedPrecision;
    private SequenceSampler? sampler;
    private SamplerState? pendingSamplerState;
    private int lastCheckpointStep;

    /// <summary>Prepares to train <paramref name="model"/> from step 0.</summary>
    /// <param name="model">The model; its parameters are updated in place.</param>
    /// <param name="tokenizer">Its tokenizer (saved with checkpoints); the thought tokens are registered if absent.</param>
    /// <param name="options">The training options.</param>
    /// <param name="logger">Receives a line per step and validation; none when null.</param>
    /// <exception cref="ArgumentException">An option is invalid or does not fit the model (the message names it), or the tokenizer's ids collide with the thought tokens.</exception>
    /// <remarks>A pipeline's <c>QuietStarPipeline.CreateTrainer</c> also passes its custom components.</remarks>
    public QuietStarTrainer(QuietStarModel model, TextTokenizer tokenizer, TrainingOptions options, ILogger? logger = null)
        : this(model, tokenizer, options, logger, components: null)
    {
    }

    /// <summary>Prepares to train <paramref name="model"/> from step 0 with custom objective parts (the reference's when null).</summary>
    internal QuietStarTrainer(QuietStarModel model, TextTokenizer tokenizer, TrainingOptions options, ILogger? logger, QuietStarComponents? components)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckFits(model, options);
        Tokenizer = ThoughtTokenVocabulary.Equip(tokenizer, model.Options, model.StartThoughtId, model.EndThoughtId);
        this.options = options with { };
        this.logger = logger ?? NullLogger.Instance;
        this.components = components ?? QuietStarComponents.Reference;
        mixedPrecision = options.MixedPrecision == MixedPrecision.None ? null : MixedPrecisionCopy.Create(model, options.MixedPrecision);
        objective = this.components.CreateObjective(ComputeModel, releaseSavedTensorsInBackward: true);  // one backward per step
        parameters = [.. model.parameters()];
        (optimizer, groupScales) = CreateOptimizer(parameters, ((nn.Module)model.MixingHead).parameters().Select(p => p.Handle).ToHashSet(), options);
        thoughtGenerator = new Generator((ulong)options.Seed, model.LanguageModel.Device);
    }

    /// <summary>The model being trained.</summary>
    public QuietStarModel Model { get; }

    /// <summary>
    /// The model the steps run forward and backward on: <see cref="Model"/> itself, or with
    /// <see cref="TrainingOptions.MixedPrecision"/> its bfloat16 copy (reloaded from the float32 masters at each step).
    /// </summary>
    internal QuietStarModel ComputeModel => mixedPrecision?.Model ?? Model;

    /// <summary>The optimizer (for tests of its state).</summary>
    internal AdamW Optimizer => optimizer;

    /// <summary>The tokenizer, with the thought tokens registered.</summary>
    public TextTokenizer Tokenizer { get; }

    /// <summary>Optimizer steps completed (including those before a resume).</summary>
    public int CompletedSteps { get; private set; }

    /// <summary>
    /// The progress a training checkpoint records, read from its manifest alone (no weights are loaded): the optimizer
    /// steps it completed and the options it was trained with; null for a checkpoint saved for inference. Resume it with
    /// <c>QuietStarPipeline.ResumeTrainer</c>.
    /// </summary>
    /// <param name="checkpointFolder">A checkpoint folder.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has no checkpoint manifest.</exception>
    public static (int Step, TrainingOptions Options)? ReadCheckpointProgress(string checkpointFolder) =>
        QuietStarCheckpoint.ReadTrainingState(checkpointFolder) is { } state ? (state.Step, state.Options with { }) : null;

    /// <summary>
    /// Continues the run saved in <paramref name="checkpoint"/>: restores the optimizer moments, the schedule position,
    /// the data sampler and the thought generator, so that training on to step N gives bitwise the same result as an
    /// uninterrupted run to N with the same options.
    /// </summary>
    /// <param name="checkpoint">A checkpoint saved by a trainer (it must hold a training state).</param>
    /// <param name="options">Options of the continued run, normally those of the first run with a larger <see cref="TrainingOptions.Steps"/>.</param>
    /// <param name="logger">Receives a line per step; a warning lists options that differ from the saved run.</param>
    /// <param name="components">Custom objective parts; the reference implementations when null.</param>
    /// <exception cref="InvalidOperationException">The checkpoint was saved for inference and holds no training state.</exception>
    /// <exception cref="FileNotFoundException">The optimizer state file is missing.</exception>
    internal static QuietStarTrainer Resume(LoadedCheckpoint checkpoint, TrainingOptions options, ILogger? logger = null, QuietStarComponents? components = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var state = checkpoint.Training ?? throw new InvalidOperationException(
            $"Checkpoint '{checkpoint.Folder}' was saved for inference and holds no training state to resume from.");
        var trainer = new QuietStarTrainer(checkpoint.Model, checkpoint.Tokenizer, options, logger, components);
        try
        {
            trainer.Restore(state, Path.Combine(checkpoint.Folder, QuietStarCheckpoint.OptimizerFileName));
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains up to <see cref="TrainingOptions.Steps"/>: splits <paramref name="corpus"/> by document
    /// (<see cref="TrainingOptions.ValidationFraction"/>, seeded), draws sequences from the training part, validates
    /// and checkpoints as configured. Cancellation is honoured between steps; with a checkpoint folder, the last
    /// completed step is saved before <see cref="OperationCanceledException"/> is thrown.
    /// </summary>
    /// <param name="corpus">The whole corpus (the same on resume and on a further call, which continues the data stream).</param>
    /// <param name="progress">Receives a report after every step, on the training thread.</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    /// <exception cref="ArgumentException">The corpus is too small for the split or for one sequence, or differs from the resumed run's.</exception>
    public TrainingReport Train(TextCorpus corpus, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var split = corpus.Split(options.ValidationFraction, options.Seed);
        sampler = CreateSampler(split.Train);
        int startStep = CompletedSteps;
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        StepMetrics? last = null;
        ValidationMetrics? validation = null;
        string? checkpoint = null;
        logger.LogInformation("Training {Mode} from step {Start} to {Steps} on {Train} training / {Validation} validation documents.",
            options.NoThoughts ? "without thoughts"
                : options.PlainLanguageModelSteps > 0 ? $"with thoughts after {options.PlainLanguageModelSteps} plain-LM steps" : "with thoughts", startStep, options.Steps, split.Train.DocumentCount, split.Validation.DocumentCount);
        while (CompletedSteps < options.Steps)
        {
            StopIfCancelled(cancellationToken);
            var step = RunStep();
            CompletedSteps++;
            tokens += step.Tokens;
            last = step.Metrics;
            var stepValidation = ShouldValidate(split.Validation) ? Validate(split.Validation) : null;
            validation = stepValidation ?? validation;
            checkpoint = ShouldCheckpoint() ? SaveCheckpoint(options.CheckpointFolder!) : checkpoint;
            Report(progress, step, stepValidation, clock.Elapsed, tokens, startStep);
        }

        return new TrainingReport
        {
            StartStep = startStep,
            Steps = CompletedSteps,
            Seconds = clock.Elapsed.TotalSeconds,
            Tokens = tokens,
            NoThoughts = options.NoThoughts,
            FinalMetrics = last,
            FinalValidation = validation,
            CheckpointPath = checkpoint,
        };
    }

    /// <summary>Saves the model, tokenizer, optimizer and training state to <paramref name="folder"/>, replacing it atomically.</summary>
    /// <returns>The checkpoint's full path.</returns>
    public string SaveCheckpoint(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var state = new TrainingState
        {
            Step = CompletedSteps,
            Options = options,
            Sampler = sampler?.State ?? pendingSamplerState,
            GeneratorState = GeneratorBytes(),
        };
        QuietStarCheckpoint.Save(folder, Model, Tokenizer, state, WriteOptimizer);
        lastCheckpointStep = CompletedSteps;
        string path = Path.GetFullPath(folder);
        logger.LogInformation("Saved checkpoint of step {Step} to {Path}.", CompletedSteps, path);
        return path;
    }

    /// <summary>Releases the optimizer state and the generator (not the model).</summary>
    public void Dispose()
    {
        optimizer.Dispose();
        thoughtGenerator.Dispose();
        mixedPrecision?.Dispose();
    }

    private static void CheckFits(QuietStarModel model, TrainingOptions options)
    {
        int context = model.LanguageModel.Config.MaxPositionEmbeddings;
        int extra = options.NoThoughts ? 0 : model.Options.ForwardPasses - 1;
        if (options.SequenceLength + extra > context)
        {
            throw new ArgumentException(
                $"TrainingOptions.SequenceLength {options.SequenceLength}" + (extra > 0 ? $" plus {extra} thought/talk positions" : "") +
                $" exceeds the model's context of {context}; shorten the sequences" + (extra > 0 ? " or the thoughts." : "."), nameof(options));
        }

        if (options.MixedPrecision != MixedPrecision.None)
        {
            MixedPrecisionCopy.CheckFits(model, options.MixedPrecision);
        }

        if (!options.NoThoughts && options.SequenceLength < model.Options.TalkTokens + 2)
        {
            throw new ArgumentException(
                $"TrainingOptions.SequenceLength {options.SequenceLength} is too short to score {model.Options.TalkTokens} talk tokens; use at least {model.Options.TalkTokens + 2}.",
                nameof(options));
        }
    }

    /// <summary>
    /// AdamW with weight decay on matrices only: norms, biases and the START/END embeddings (all 1-D) get none. With a
    /// mixing-head learning-rate multiplier other than 1 the head's parameters form their own two groups; each group's
    /// multiplier of the scheduled learning rate is returned beside the optimizer.
    /// </summary>
    private static (AdamW Optimizer, double[] Scales) CreateOptimizer(Parameter[] parameters, HashSet<IntPtr> mixingHead, TrainingOptions options)
    {
        AdamW.ParamGroup Group(IEnumerable<Parameter> members, bool decay) => new(members, lr: options.LearningRate, beta1: options.Beta1,
            beta2: options.Beta2, eps: options.Epsilon, weight_decay: decay ? options.WeightDecay : 0.0);
        double headScale = options.MixingHeadLearningRateMultiplier;
        var (groups, scales) = headScale == 1
            ? (new[] { Group(parameters.Where(p => p.dim() >= 2), decay: true), Group(parameters.Where(p => p.dim() < 2), decay: false) }, new[] { 1.0, 1.0 })
            : (new[]
            {
                Group(parameters.Where(p => p.dim() >= 2 && !mixingHead.Contains(p.Handle)), decay: true),
                Group(parameters.Where(p => p.dim() < 2 && !mixingHead.Contains(p.Handle)), decay: false),
                Group(parameters.Where(p => p.dim() >= 2 && mixingHead.Contains(p.Handle)), decay: true),
                Group(parameters.Where(p => p.dim() < 2 && mixingHead.Contains(p.Handle)), decay: false),
            }, new[] { 1.0, 1.0, headScale, headScale });
        return (torch.optim.AdamW(groups, lr: options.LearningRate, beta1: options.Beta1, beta2: options.Beta2, eps: options.Epsilon, weight_decay: 0.0), scales);
    }

    private void Restore(TrainingState state, string optimizerPath)
    {
        WarnAboutChangedOptions(state.Options);
        if ((state.Options.MixingHeadLearningRateMultiplier == 1) != (options.MixingHeadLearningRateMultiplier == 1))
        {
            // A multiplier of 1 keeps the reference's two AdamW groups; any other gives the head two of its own, so the
            // saved optimizer state has another group layout.
            throw new ArgumentException(
                $"TrainingOptions.MixingHeadLearningRateMultiplier is {options.MixingHeadLearningRateMultiplier}, but the checkpoint was trained with " +
                $"{state.Options.MixingHeadLearningRateMultiplier}: changing it to or from 1 changes the optimizer's parameter groups, so the saved " +
                "optimizer state cannot be restored. Keep 1, or keep a value other than 1.", "options");
        }

        if (!File.Exists(optimizerPath))
        {
            throw new FileNotFoundException($"The checkpoint's optimizer state '{optimizerPath}' is missing; it cannot be resumed exactly.", optimizerPath);
        }

        using (var reader = new BinaryReader(File.OpenRead(optimizerPath)))
        {
            optimizer.load_state_dict(reader);
        }

        using (var generatorState = torch.tensor(state.GeneratorState, device: torch.CPU))  // a generator state is a CPU byte tensor on every device
        {
            thoughtGenerator.set_state(generatorState);
        }

        CompletedSteps = state.Step;
        lastCheckpointStep = state.Step;
        pendingSamplerState = state.Sampler;
    }

    private void WarnAboutChangedOptions(TrainingOptions saved)
    {
        var changed = typeof(TrainingOptions).GetProperties()
            .Where(p => p.Name is not (nameof(TrainingOptions.Steps) or nameof(TrainingOptions.CheckpointFolder) or "EqualityContract"))
            .Where(p => !Equals(p.GetValue(saved), p.GetValue(options)))
            .Select(p => $"{p.Name} {p.GetValue(saved)} → {p.GetValue(options)}")
            .ToList();
        if (changed.Count > 0)
        {
            logger.LogWarning("Resuming with changed options ({Changes}); the result will differ from an uninterrupted run.", string.Join(", ", changed));
        }
    }

    /// <summary>A sampler at the resumed position, or where the previous <see cref="Train"/> call stopped, or at the start.</summary>
    private SequenceSampler CreateSampler(TextCorpus train)
    {
        var created = new SequenceSampler(train, options.SequenceLength, options.Seed);
        if ((pendingSamplerState ?? sampler?.State) is { } state)
        {
            created.Restore(state);
            pendingSamplerState = null;
        }

        return created;
    }

    /// <summary>One optimizer step: set the learning rate, accumulate micro-batch gradients, clip, update.</summary>
    private StepOutcome RunStep()
    {
        double lr = options.LearningRate * LearningRateCurve.Factor(CompletedSteps + 1, options);
        foreach (var (group, scale) in optimizer.ParamGroups.Zip(groupScales))
        {
            group.LearningRate = lr * scale;
        }

        using (torch.NewDisposeScope())
        {
            optimizer.zero_grad(); // TorchSharp 0.107 leaves one gradient handle per parameter undisposed outside a scope
        }

        mixedPrecision?.LoadMasters();                                     // float32 masters → bfloat16 compute copy

        var parts = new List<StepMetrics>(options.GradientAccumulation);
        long tokens = 0;
        for (int micro = 0; micro < options.GradientAccumulation; micro++)
        {
            var (components, realTokens) = RunMicroStep();
            mixedPrecision?.AccumulateGradients();                         // bfloat16 gradients → summed into float32 master gradients
            parts.Add(components);
            tokens += realTokens;
        }

        double norm;
        using (torch.NewDisposeScope())
        {
            norm = torch.nn.utils.clip_grad_norm_(parameters, options.MaxGradNorm);
            optimizer.step();
        }

        return new StepOutcome(StepMetrics.Mean(parts), lr, norm, tokens, ThinksThisStep);
    }

    /// <summary>Forward and backward of one micro-batch, in its own dispose scope; gradients are averaged over the step.</summary>
    private (StepMetrics Metrics, long Tokens) RunMicroStep()
    {
        using var scope = torch.NewDisposeScope();
        var batch = sampler!.NextBatch(options.BatchSize, Model.LanguageModel.Device);              // ids, isReal [B, L]
        if (!ThinksThisStep)
        {
            var nll = NextTokenLoss.TokenNll(ComputeModel.LanguageModel, batch.InputIds, batch.IsReal);   // [B, L−1]
            var loss = NextTokenLoss.Mean(nll, batch.IsReal);
            (loss / options.GradientAccumulation).backward();
            return (StepMetrics.PlainLanguageModel(loss.to_type(ScalarType.Float64).item<double>()), batch.RealTokens);
        }

        var result = objective.Compute(batch.InputIds, batch.IsReal, thoughtGenerator, step: CompletedSteps - options.PlainLanguageModelSteps);
        (result.Loss / options.GradientAccumulation).backward();
        return (result.Metrics(), batch.RealTokens);
    }

    /// <summary>Whether the step being taken trains with thoughts (not the baseline, not the plain-LM warm start).</summary>
    private bool ThinksThisStep => !options.NoThoughts && CompletedSteps >= options.PlainLanguageModelSteps;

    private bool ShouldValidate(TextCorpus validation) =>
        options.EvalEvery > 0 && validation.DocumentCount > 0 && (CompletedSteps % options.EvalEvery == 0 || CompletedSteps == options.Steps);

    private ValidationMetrics Validate(TextCorpus validation)
    {
        var result = ValidationEvaluator.Evaluate(Model, validation, new ValidationOptions
        {
            SequenceLength = options.SequenceLength,
            BatchSize = options.BatchSize,
            Batches = options.EvalBatches,
            Seed = options.Seed,
            WithThoughts = !options.NoThoughts,
        }, components);
        TrainingMetrics.RecordValidation(result);
        logger.LogInformation(
            "Validation at step {Step}: base NLL {Base:F4}, talk NLL {Talk:F4} ({Delta:F4}), hardest 10%: {HardBase:F4} → {HardTalk:F4}, mixing weight {Weight:F4}.",
            CompletedSteps, result.BaseNll, result.TalkNll, result.TalkMinusBase, result.HardBaseNll, result.HardTalkNll, result.MeanMixingWeight);
        return result;
    }

    private bool ShouldCheckpoint() =>
        options.CheckpointFolder is not null &&
        ((options.CheckpointEvery > 0 && CompletedSteps % options.CheckpointEvery == 0) || CompletedSteps == options.Steps);

    private void StopIfCancelled(CancellationToken cancellationToken)
    {
        if (!cancellationToken.IsCancellationRequested)
        {
            return;
        }

        if (options.CheckpointFolder is not null && CompletedSteps > lastCheckpointStep)
        {
            SaveCheckpoint(options.CheckpointFolder);
        }

        logger.LogWarning("Training cancelled after step {Step}.", CompletedSteps);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private void Report(IProgress<TrainingProgress>? progress, StepOutcome step, ValidationMetrics? validation, TimeSpan elapsed, long tokens, int startStep)
    {
        int done = CompletedSteps - startStep;
        var report = new TrainingProgress
        {
            Step = CompletedSteps,
            TotalSteps = options.Steps,
            WithThoughts = step.WithThoughts,
            Metrics = step.Metrics,
            LearningRate = step.LearningRate,
            GradientNorm = step.GradientNorm,
            Tokens = step.Tokens,
            TokensPerSecond = tokens / Math.Max(elapsed.TotalSeconds, 1e-9),
            Elapsed = elapsed,
            EstimatedRemaining = elapsed / done * (options.Steps - CompletedSteps),
            Validation = validation,
        };
        TrainingMetrics.RecordStep(report);
        logger.LogInformation(
            "Step {Step}/{Total}: loss {Loss:F4}, base NLL {Base:F4}, talk−base {Delta:F4}, mixing weight {Weight:F4}, policy/LM {PolicyRatio:G3}, " +
            "thought entropy {Entropy:F3}, {Distinct} distinct thoughts, lr {Lr:G3}, grad norm {Norm:F3}, {TokensPerSecond:F0} tok/s, ETA {Eta:hh\\:mm\\:ss}.",
            report.Step, report.TotalSteps, report.Metrics.Loss, report.Metrics.BaseNll, report.Metrics.TalkMinusBase, report.Metrics.MixingWeightMean,
            report.Metrics.PolicyToLanguageModelingRatio, report.Metrics.ThoughtEntropy, report.Metrics.DistinctThoughts,
            report.LearningRate, report.GradientNorm, report.TokensPerSecond, report.EstimatedRemaining);
        progress?.Report(report);
    }

    private void WriteOptimizer(Stream stream)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        optimizer.save_state_dict(writer);
    }

    private byte[] GeneratorBytes()
    {
        using var state = thoughtGenerator.get_state();
        return state.data<byte>().ToArray();
    }

    private sealed record StepOutcome(StepMetrics Metrics, double LearningRate, double GradientNorm, long Tokens, bool WithThoughts);
}

/// <summary>The learning-rate factor of each optimizer step: linear warm-up, then constant or cosine (LambdaLR-style).</summary>
internal static class LearningRateCurve
{
    /// <summary>The factor applied to the peak rate at optimizer step <paramref name="step"/> (1-based).</summary>
    public static double Factor(int step, TrainingOptions options)
    {
        int index = step - 1;
        if (index < options.WarmupSteps)
        {
            return (index + 1) / (double)options.WarmupSteps;
        }

        if (options.Schedule == LearningRateSchedule.Constant)
        {
            return 1.0;
        }

        double progress = (index - options.WarmupSteps) / (double)Math.Max(1, options.Steps - options.WarmupSteps);
        return 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1.0, progress)));
    }
}
