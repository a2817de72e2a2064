using Microsoft.Extensions.Logging;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;
using QuietStar.Core.Tokenization;
using QuietStar.Core.Training;
using static TorchSharp.torch;

namespace QuietStar.Core;

/// <summary>
/// What <see cref="QuietStarBuilder.Build"/> produces: a model equipped for Quiet-STaR with its tokenizer, its
/// options and components fixed. Creates trainers and objectives, generates text and saves checkpoints. Owns the
/// model: disposing the pipeline releases its parameters.
/// </summary>
public sealed partial class QuietStarPipeline : IDisposable
{
    private readonly QuietStarComponents components;
    private readonly ILoggerFactory? loggerFactory;
    private readonly bool ownsModel;
    private readonly ModelGate modelGate;

    internal QuietStarPipeline(QuietStarModel model, TextTokenizer tokenizer, QuietStarComponents components, Device device,
        ILoggerFactory? loggerFactory, string modelDescription)
        : this(model, tokenizer, components, device, loggerFactory, modelDescription, ownsModel: true, new ModelGate())
    {
    }

    private QuietStarPipeline(QuietStarModel model, TextTokenizer tokenizer, QuietStarComponents components, Device device,
        ILoggerFactory? loggerFactory, string modelDescription, bool ownsModel, ModelGate modelGate)
    {
        this.ownsModel = ownsModel;
        this.modelGate = modelGate;
        Model = model;
        Tokenizer = tokenizer;
        this.components = components;
        Device = device;
        this.loggerFactory = loggerFactory;
        ModelDescription = modelDescription;
    }

    /// <summary>The equipped model (trainable in place by trainers this pipeline creates).</summary>
    public QuietStarModel Model { get; }

    /// <summary>The tokenizer, with the START/END thought tokens registered at the model's ids.</summary>
    public TextTokenizer Tokenizer { get; }

    /// <summary>A copy of the algorithm's options.</summary>
    public QuietStarOptions Options => Model.Options;

    /// <summary>The device the model lives on.</summary>
    public Device Device { get; }

    /// <summary>Where the model came from, for logs.</summary>
    public string ModelDescription { get; }

    /// <summary>
    /// The same trained model under other options (e.g. more thought tokens to evaluate with, or a continued run's
    /// recipe), with this pipeline's tokenizer, components and device. Nothing is copied or re-initialised: the new
    /// pipeline shares this one's model (START/END are rescaled copies when the options change their gradient scale), and
    /// only this pipeline owns it, so disposing the new one leaves the model alive and disposing this one releases it
    /// (after any running request of either, and the new one refuses requests from then on). Generation requests on
    /// both are served one at a time, as on one pipeline.
    /// </summary>
    /// <param name="options">The new options; validated.</param>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public QuietStarPipeline With(QuietStarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return new QuietStarPipeline(Model.With(options), Tokenizer, components, Device, loggerFactory, ModelDescription, ownsModel: false, modelGate);
    }

    /// <summary>As <see cref="With(QuietStarOptions)"/>, starting from a copy of this pipeline's <see cref="Options"/>.</summary>
    /// <param name="configure">Changes the copy, e.g. <c>o =&gt; o.ThoughtTokens = 12</c>.</param>
    public QuietStarPipeline With(Action<QuietStarOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = Options;
        configure(options);
        return With(options);
    }

    /// <summary>An objective over this pipeline's model and components.</summary>
    /// <param name="releaseSavedTensorsInBackward">See <see cref="QuietStarObjective.ReleaseSavedTensorsInBackward"/>: true for a loop that runs backward once per step, as the trainer does.</param>
    public QuietStarObjective CreateObjective(bool releaseSavedTensorsInBackward = false) =>
        components.CreateObjective(Model, releaseSavedTensorsInBackward: releaseSavedTensorsInBackward);

    /// <summary>A trainer for this pipeline's model with the given training options (reference defaults otherwise).</summary>
    /// <exception cref="ArgumentException">A training option is invalid (the message names it).</exception>
    public QuietStarTrainer CreateTrainer(Action<TrainingOptions>? configure = null)
    {
        var options = new TrainingOptions();
        configure?.Invoke(options);
        return CreateTrainer(options);
    }

    /// <summary>A trainer for this pipeline's model with the training options given whole (a copy is taken).</summary>
    /// <exception cref="ArgumentException">A training option is invalid (the message names it).</exception>
    public QuietStarTrainer CreateTrainer(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new QuietStarTrainer(Model, Tokenizer, options with { }, loggerFactory?.CreateLogger<QuietStarTrainer>(), components);
    }

    /// <summary>
    /// Continues a run from a training checkpoint with this pipeline's components and options. The checkpoint's weights
    /// are loaded into this pipeline's own <see cref="Model"/>, replacing its current ones, and the trainer trains that
    /// model in place: <see cref="Save"/> then writes the trained weights, and no second model is created. The optimizer,
    /// schedule, data position and thought sampler continue from the checkpoint.
    /// </summary>
    /// <param name="checkpointFolder">A checkpoint written by a trainer for this model (same thought ids, mixing head and thought-embedding scale).</param>
    /// <param name="configure">The continued run's options (normally the first run's with more steps).</param>
    /// <exception cref="ArgumentException">A training option is invalid (checked before any weight changes).</exception>
    /// <exception cref="InvalidOperationException">The checkpoint was saved for inference and holds no training state.</exception>
    /// <exception cref="FileNotFoundException">A file of the checkpoint, e.g. the optimizer state, is missing.</exception>
    /// <exception cref="InvalidDataException">The checkpoint does not fit this pipeline's model; the model is left unchanged.</exception>
    public QuietStarTrainer ResumeTrainer(string checkpointFolder, Action<TrainingOptions>? configure = null)
    {
        var options = new TrainingOptions();
        configure?.Invoke(options);
        return ResumeTrainer(checkpointFolder, options);
    }

    /// <summary>
    /// As <see cref="ResumeTrainer(string, Action{TrainingOptions}?)"/> with the continued run's options given whole, e.g.
    /// those of <see cref="QuietStarTrainer.ReadCheckpointProgress"/> with more steps.
    /// </summary>
    /// <param name="checkpointFolder">A checkpoint written by a trainer for this model.</param>
    /// <param name="options">The continued run's options.</param>
    public QuietStarTrainer ResumeTrainer(string checkpointFolder, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var checkpoint = QuietStarCheckpoint.LoadInto(checkpointFolder, Model, Tokenizer);
        return QuietStarTrainer.Resume(checkpoint, options, loggerFactory?.CreateLogger<QuietStarTrainer>(), components);
    }

    /// <summary>
    /// A KV-cached generator over the language model (without thoughts). It generates from the base vocabulary only:
    /// the START/END thought tokens (registered in <see cref="Tokenizer"/>) are never emitted as text.
    /// </summary>
    internal TextGenerator CreateTextGenerator() => new(Model.LanguageModel, Tokenizer, vocabularyLimit: Model.BaseVocabularySize);

    /// <summary>Saves the model as a Quiet-STaR checkpoint folder (written atomically).</summary>
    public void Save(string folder) => QuietStarCheckpoint.Save(folder, Model, Tokenizer);

    /// <summary>
    /// Releases the model's parameters, after waiting for a generation request that is running (see
    /// <see cref="GenerateAsync(string, GenerationOptions?, ThoughtOptions?, CancellationToken)"/>). A pipeline made by
    /// <see cref="With(QuietStarOptions)"/> does not own its model: disposing it releases nothing.
    /// </summary>
    public void Dispose() => DisposeAfterGeneration(ownsModel ? Model.Dispose : static () => { });
}
