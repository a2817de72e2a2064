using QuietStar.Cli.Assets;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Loading;
using QuietStar.Core.Tokenization;
using QuietStar.Core.Training;
using static TorchSharp.torch;

namespace QuietStar.Cli.Commands.Train;

/// <summary>The model being trained and its trainer, from a base model or a checkpoint.</summary>
internal sealed class TrainingRun : IDisposable
{
    private readonly IDisposable owner;

    private TrainingRun(QuietStarPipeline pipeline, QuietStarTrainer trainer, TrainingOptions options, IDisposable owner, string modelName, string? resumedFrom)
    {
        Loaded = owner as LoadedModel;
        Pipeline = pipeline;
        Trainer = trainer;
        Options = options;
        this.owner = owner;
        ModelName = modelName;
        ResumedFrom = resumedFrom;
    }

    /// <summary>The model as loaded for a new run (null for a resumed one).</summary>
    public LoadedModel? Loaded { get; }

    /// <summary>The pipeline whose model the trainer trains in place.</summary>
    public QuietStarPipeline Pipeline { get; }

    /// <summary>The trainer.</summary>
    public QuietStarTrainer Trainer { get; }

    /// <summary>The algorithm's options of the model it trains.</summary>
    public QuietStarOptions QuietStarOptions => Pipeline.Options;

    /// <summary>The training options in effect.</summary>
    public TrainingOptions Options { get; }

    /// <summary>How diagnostics and results name the model.</summary>
    public string ModelName { get; }

    /// <summary>The checkpoint folder a resumed run continues; null for a new run.</summary>
    public string? ResumedFrom { get; }

    /// <summary>A new run: the model is equipped for Quiet-STaR, or a checkpoint's trained thoughts are kept.</summary>
    public static TrainingRun Start(TrainSettings settings, string checkpointFolder, DiagnosticsLogger logger)
    {
        var options = settings.ToTrainingOptions(saved: null, checkpointFolder);
        options.Validate();
        var loaded = settings.Init is { } init
            ? LoadedModel.Initialise(init, settings.Tokenizer is { } tokenizer ? (Directory.Exists(tokenizer) ? TextTokenizer.FromFolder(tokenizer) : TextTokenizer.FromSentencePiece(tokenizer)) : EmbeddedModel.LoadTokenizer(), options.Seed)
            : settings.Model is null && settings.ArithmeticDigits is not null ? LoadedModel.Plain(EmbeddedArithmeticModel.Load(settings.TargetDevice, settings.TargetDType))
            : settings.LoadModel(logger);
        settings.ApplyThreadPolicy(loaded.Config);   // every way in, the preset's own model and --init included
        try
        {
            if (loaded.IsCheckpoint && (settings.StartInit is not null || settings.EndInit is not null))
            {
                throw new ArgumentException("--start-init and --end-init seed fresh START/END embeddings, but --model is a Quiet-STaR checkpoint whose START/END are trained; drop them, or start from a plain model.");
            }

            var pipeline = loaded.Pipeline is { } trained
                ? loaded.With(settings.ToQuietStarOptions(trained.Options))
                : loaded.Equip(settings.ToQuietStarOptions(null), options.Seed, logger);
            string name = settings.Init is { } config ? $"random init from {config}" : settings.Model is null && settings.ArithmeticDigits is not null ? EmbeddedArithmeticModel.Name : settings.ModelName;
            return new TrainingRun(pipeline, pipeline.CreateTrainer(options), options, loaded, name, null);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>Continues the run saved in <paramref name="resumeFolder"/> with its own options, overridden by those given.</summary>
    public static TrainingRun Resume(TrainSettings settings, string resumeFolder, string checkpointFolder, DiagnosticsLogger logger)
    {
        var (step, saved) = QuietStarTrainer.ReadCheckpointProgress(resumeFolder) ?? throw new InvalidOperationException(
            $"--resume '{resumeFolder}' was saved for inference and holds no training state; train from it with --model instead.");
        var pipeline = QuietStarBuilder.Create().UseModel(ModelSource.Checkpoint(resumeFolder)).UseDevice(settings.TargetDevice)
            .UseDType(settings.TargetDType).UseLoggerFactory(logger).Build();
        try
        {
            if (settings.ChangedThoughtOption(pipeline.Options) is { } changed)
            {
                throw new ArgumentException($"{changed}: a resumed run keeps the checkpoint's thought options; train from it with --model to change them.");
            }

            var options = settings.ToTrainingOptions(saved, checkpointFolder);
            if (options.Steps <= step)
            {
                throw new ArgumentException($"--steps {options.Steps} must be more than the {step} steps the checkpoint has completed.");
            }

            // The thread count by the size of the resumed run's work, as a fresh run chooses it (LoadModel).
            ThreadPolicy.Apply(settings.Threads, pipeline.Model.LanguageModel.Config, (long)options.BatchSize * pipeline.Options.Passes * options.SequenceLength);
            var trainer = pipeline.ResumeTrainer(resumeFolder, options);
            return new TrainingRun(pipeline, trainer, options, pipeline, $"{resumeFolder} (step {step})", Path.GetFullPath(resumeFolder));
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Trainer.Dispose();
        owner.Dispose();
    }
}
