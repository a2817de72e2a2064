using System.Reflection;
using Microsoft.Extensions.Logging;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Loading;
using QuietStar.Core.Runtime;
using QuietStar.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core;

/// <summary>
/// Composes a <see cref="QuietStarPipeline"/>: the model, the algorithm's options, the device, and any custom
/// components. <see cref="Build"/> validates everything before it loads a byte, and the product is immutable.
/// </summary>
/// <example>
/// <code>
/// using var quiet = QuietStarBuilder.Create()
///     .UseModel(ModelSource.Llama2c("stories260K.bin", "tok512.model"))
///     .ConfigureOptions(o => { o.ThoughtTokens = 6; o.PolicyLossWeight = 100; })
///     .UseDevice(torch.CPU)
///     .Build();
/// </code>
/// </example>
public sealed class QuietStarBuilder
{
    private readonly List<Action<QuietStarOptions>> configureOptions = [];
    private ModelSource? source;
    private QuietStarOptions? options;
    private Device? device;  // null: CPU, resolved once the native backend is known to load
    private ScalarType dtype = ScalarType.Float32;
    private long seed;
    private ILoggerFactory? loggerFactory;
    private MixingHeadFactory? mixingHead;
    private IThoughtGenerator? thoughtGenerator;
    private ITeacherForcingLoss? teacherForcingLoss;
    private IRewardEstimator? rewardEstimator;

    /// <summary>
    /// Starts an empty builder. It loads TorchSharp's native backend first: a builder is where most applications touch
    /// torch first, and a failed load is reported here with its real cause.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// TorchSharp's native backend cannot be loaded (for example an unmet libstdc++ requirement on Linux); the message
    /// names the file, the cause and the fix.
    /// </exception>
    public QuietStarBuilder() => TorchNative.EnsureLoaded();

    /// <summary>Starts an empty builder (see <see cref="QuietStarBuilder()"/>).</summary>
    /// <exception cref="InvalidOperationException">TorchSharp's native backend cannot be loaded; the message names the cause.</exception>
    public static QuietStarBuilder Create() => new();

    /// <summary>Sets where the model comes from (required).</summary>
    public QuietStarBuilder UseModel(ModelSource modelSource)
    {
        source = modelSource ?? throw new ArgumentNullException(nameof(modelSource));
        return this;
    }

    /// <summary>
    /// Adjusts the algorithm's options. They start from the reference's values for a base model, or from the
    /// options a Quiet-STaR checkpoint was trained with; calls apply in order. Changing a checkpoint's
    /// <see cref="QuietStarOptions.ThoughtEmbeddingGradientScale"/> keeps its START/END embeddings: the stored
    /// parameters (e / scale) are rescaled, and the next save records the new scale with them.
    /// </summary>
    public QuietStarBuilder ConfigureOptions(Action<QuietStarOptions> configure)
    {
        configureOptions.Add(configure ?? throw new ArgumentNullException(nameof(configure)));
        return this;
    }

    /// <summary>Replaces the starting options (a copy is taken); <see cref="ConfigureOptions"/> still applies on top.</summary>
    public QuietStarBuilder UseOptions(QuietStarOptions quietStarOptions)
    {
        ArgumentNullException.ThrowIfNull(quietStarOptions);
        options = quietStarOptions with { };
        return this;
    }

    /// <summary>The device every tensor lives on (default CPU; CUDA when the application ships a CUDA backend).</summary>
    public QuietStarBuilder UseDevice(Device targetDevice)
    {
        device = targetDevice ?? throw new ArgumentNullException(nameof(targetDevice));
        return this;
    }

    /// <summary>The parameter dtype (default float32).</summary>
    public QuietStarBuilder UseDType(ScalarType parameterDType)
    {
        dtype = parameterDType;
        return this;
    }

    /// <summary>Seeds the initialisation of the thought embeddings' neighbours and the mixing head (default 0).</summary>
    public QuietStarBuilder UseSeed(long initialisationSeed)
    {
        seed = initialisationSeed;
        return this;
    }

    /// <summary>Where trainers created by the pipeline log.</summary>
    public QuietStarBuilder UseLoggerFactory(ILoggerFactory factory)
    {
        loggerFactory = factory ?? throw new ArgumentNullException(nameof(factory));
        return this;
    }

    /// <summary>
    /// Uses a custom mixing head type: a TorchSharp module implementing <see cref="IMixingHead"/> with a constructor
    /// <c>(int hiddenSize, Device device, ScalarType dtype)</c>. A base model gets a new head (reset to w ≡ 0 by
    /// <see cref="IMixingHead.Reset"/>); a checkpoint saved with this head type is rebuilt with it and its trained
    /// weights are read from the file. A checkpoint with a custom head can be loaded only by a builder given that head;
    /// one saved with another head type is refused.
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="THead"/> lacks that public constructor (checked here, not at the first build).</exception>
    public QuietStarBuilder UseMixingHead<THead>()
        where THead : nn.Module, IMixingHead
    {
        var constructor = typeof(THead).GetConstructor([typeof(int), typeof(Device), typeof(ScalarType)])
            ?? throw new ArgumentException(
                $"UseMixingHead<{typeof(THead).Name}>() needs a public constructor {typeof(THead).Name}(int hiddenSize, Device device, ScalarType dtype); " +
                $"add one, or pass a factory: UseMixingHead((hiddenSize, device, dtype) => new {typeof(THead).Name}(…)).", nameof(THead));
        return UseMixingHead((hidden, d, t) =>
        {
            try
            {
                return (IMixingHead)constructor.Invoke([hidden, d, t]);
            }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
                throw;  // unreachable
            }
        });
    }

    /// <summary>Uses a factory for a custom mixing head (see <see cref="UseMixingHead{THead}()"/>).</summary>
    /// <param name="factory">Makes a head from (hidden size, device, dtype).</param>
    public QuietStarBuilder UseMixingHead(Func<int, Device, ScalarType, IMixingHead> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        mixingHead = (hiddenSize, device, dtype) => factory(hiddenSize, device, dtype);
        return this;
    }

    /// <summary>Uses a custom thought generator type with a parameterless constructor.</summary>
    public QuietStarBuilder UseThoughtGenerator<TGenerator>()
        where TGenerator : IThoughtGenerator, new() => UseThoughtGenerator(new TGenerator());

    /// <summary>Uses a custom thought generator.</summary>
    public QuietStarBuilder UseThoughtGenerator(IThoughtGenerator generator)
    {
        thoughtGenerator = generator ?? throw new ArgumentNullException(nameof(generator));
        return this;
    }

    /// <summary>Uses a custom reward estimator type with a parameterless constructor.</summary>
    public QuietStarBuilder UseRewardEstimator<TEstimator>()
        where TEstimator : IRewardEstimator, new() => UseRewardEstimator(new TEstimator());

    /// <summary>Uses a custom reward estimator.</summary>
    public QuietStarBuilder UseRewardEstimator(IRewardEstimator estimator)
    {
        rewardEstimator = estimator ?? throw new ArgumentNullException(nameof(estimator));
        return this;
    }

    /// <summary>Uses a custom teacher-forcing loss type with a parameterless constructor.</summary>
    public QuietStarBuilder UseTeacherForcingLoss<TLoss>()
        where TLoss : ITeacherForcingLoss, new() => UseTeacherForcingLoss(new TLoss());

    /// <summary>Uses a custom teacher-forcing loss.</summary>
    public QuietStarBuilder UseTeacherForcingLoss(ITeacherForcingLoss loss)
    {
        teacherForcingLoss = loss ?? throw new ArgumentNullException(nameof(loss));
        return this;
    }

    /// <summary>
    /// Validates the configuration, loads the model and returns the immutable pipeline. A base model is equipped
    /// for Quiet-STaR (vocabulary grown by START/END, embeddings seeded from the init text, mixing head at w ≡ 0);
    /// a checkpoint is restored without re-initialising anything.
    /// </summary>
    /// <exception cref="InvalidOperationException">No model was set.</exception>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public QuietStarPipeline Build()
    {
        if (source is null)
        {
            throw new InvalidOperationException("No model: call UseModel(ModelSource.…) before Build().");
        }

        var components = new QuietStarComponents(thoughtGenerator, teacherForcingLoss, rewardEstimator);
        if (options is null && source.IsCheckpoint)
        {
            return BuildFromCheckpoint(components);
        }

        var configured = Configure(options ?? QuietStarOptions.Reference);  // validated before any loading
        var loaded = source.Load(TargetDevice, dtype, mixingHead);
        return loaded.Checkpoint is { } checkpoint
            ? Restore(checkpoint, configured, components)
            : Equip(loaded.BaseModel!, configured, components);
    }

    /// <summary>
    /// Builds inside a host, with options resolved by <c>IOptions</c>: they already hold this builder's starting
    /// options (<see cref="ApplyStartingOptions"/>) and its <see cref="ConfigureOptions"/> calls, plus the host's own configuration, so
    /// the pipeline's options equal <c>IOptions&lt;QuietStarOptions&gt;.Value</c>. The builder is left as it was.
    /// </summary>
    internal QuietStarPipeline BuildForHost(QuietStarOptions resolved)
    {
        var ownOptions = options;
        var ownConfiguration = configureOptions.ToList();
        configureOptions.Clear();
        options = resolved with { };
        try
        {
            return Build();
        }
        finally
        {
            options = ownOptions;
            configureOptions.Clear();
            configureOptions.AddRange(ownConfiguration);
        }
    }

    /// <summary>
    /// Copies the options this builder starts from into <paramref name="target"/> (used by options binding): those of
    /// <see cref="UseOptions"/>, else those a checkpoint was trained with (read from its manifest; no weights are
    /// loaded), else the reference's.
    /// </summary>
    internal void ApplyStartingOptions(QuietStarOptions target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var start = options
            ?? (source?.CheckpointFolder is { } folder ? QuietStarCheckpoint.ReadOptions(folder) : QuietStarOptions.Reference);
        foreach (var property in typeof(QuietStarOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetSetMethod() is not null)
            {
                property.SetValue(target, property.GetValue(start));
            }
        }
    }

    /// <summary>Applies this builder's <see cref="ConfigureOptions"/> calls to <paramref name="target"/> (used by options binding).</summary>
    internal void ApplyOptionsConfiguration(QuietStarOptions target)
    {
        foreach (var configure in configureOptions)
        {
            configure(target);
        }
    }

    private Device TargetDevice => device ?? torch.CPU;

    private QuietStarPipeline BuildFromCheckpoint(QuietStarComponents components)
    {
        var checkpoint = source!.Load(TargetDevice, dtype, mixingHead).Checkpoint!;
        try
        {
            return Restore(checkpoint, Configure(checkpoint.Model.Options), components);
        }
        catch
        {
            checkpoint.Model.Dispose();
            throw;
        }
    }

    private QuietStarOptions Configure(QuietStarOptions start)
    {
        var configured = start with { };
        ApplyOptionsConfiguration(configured);
        configured.Validate();
        return configured;
    }

    private QuietStarPipeline Equip(PretrainedModel pretrained, QuietStarOptions configured, QuietStarComponents components)
    {
        var tokenizer = pretrained.Tokenizer;
        var head = mixingHead?.Invoke(pretrained.Model.Config.HiddenSize, TargetDevice, dtype);
        var model = QuietStarModel.Equip(pretrained.Model, tokenizer, configured, seed, head);
        var equippedTokenizer = ThoughtTokenVocabulary.Equip(tokenizer, configured, model.StartThoughtId, model.EndThoughtId);
        return new QuietStarPipeline(model, equippedTokenizer, components, TargetDevice, loggerFactory, source!.Description);
    }

    private QuietStarPipeline Restore(LoadedCheckpoint checkpoint, QuietStarOptions configured, QuietStarComponents components)
    {
        var trained = checkpoint.Model;
        var thoughts = trained.ThoughtEmbeddings;
        if (thoughts.GradientScale != configured.ThoughtEmbeddingGradientScale)
        {
            // The options record the scale that interprets the stored p = e / scale: rescale p so e stays as trained.
            thoughts = thoughts.WithGradientScale(configured.ThoughtEmbeddingGradientScale);
            trained.ThoughtEmbeddings.Dispose();
        }

        var model = QuietStarModel.Restore(trained.LanguageModel, thoughts, trained.MixingHead, configured,
            trained.StartThoughtId, trained.EndThoughtId);
        return new QuietStarPipeline(model, checkpoint.Tokenizer, components, TargetDevice, loggerFactory, source!.Description);
    }
}
