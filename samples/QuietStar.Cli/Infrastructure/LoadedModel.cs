using Microsoft.Extensions.Logging;
using QuietStar.Core;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Loading;
using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Cli.Infrastructure;

/// <summary>
/// A model a verb loaded: a plain language model (llama2.c or Hugging Face) or a Quiet-STaR checkpoint. Every verb
/// reaches the model through a <see cref="QuietStarPipeline"/> built by <see cref="QuietStarBuilder"/>: a checkpoint's,
/// or the plain model's once <see cref="Equip"/> (or <see cref="Thinking"/>) equipped it. Disposing releases the parameters.
/// </summary>
internal sealed class LoadedModel : IDisposable
{
    /// <summary>What to tell the user when thoughts were added just now: they cannot change the text yet.</summary>
    public const string UntrainedWarning = "untrained thoughts: the mixing weight is 0, so the text equals the base model's";

    private readonly List<QuietStarPipeline> views = [];
    private readonly TextTokenizer? baseTokenizer;
    private PretrainedModel? plain;

    private LoadedModel(PretrainedModel? plain, QuietStarPipeline? checkpoint)
    {
        this.plain = plain;
        baseTokenizer = plain?.Tokenizer;
        Pipeline = checkpoint;
        IsCheckpoint = checkpoint is not null;
    }

    /// <summary>The equipped model's pipeline: a checkpoint's, or the plain model's after <see cref="Equip"/>; null before.</summary>
    public QuietStarPipeline? Pipeline { get; private set; }

    /// <summary>Whether the model is a Quiet-STaR checkpoint (its thoughts are trained).</summary>
    public bool IsCheckpoint { get; }

    /// <summary>The language model's configuration (for a checkpoint, its vocabulary includes START/END).</summary>
    public TransformerConfig Config => Pipeline?.Model.LanguageModel.Config ?? plain!.Model.Config;

    /// <summary>The tokenizer; once equipped, with the START/END thought tokens registered.</summary>
    public TextTokenizer Tokenizer => Pipeline?.Tokenizer ?? plain!.Tokenizer;

    /// <summary>Wraps a plain pretrained model.</summary>
    public static LoadedModel Plain(PretrainedModel pretrained) => new(pretrained, null);

    /// <summary>
    /// A fresh model of the shapes in <paramref name="configPath"/> (a Hugging Face <c>config.json</c>), its weights
    /// drawn as Hugging Face initialises them (Normal(0, 0.02), norms 1) from <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tokenizer has more tokens than the configuration's vocabulary.</exception>
    public static LoadedModel Initialise(string configPath, TextTokenizer tokenizer, long seed) =>
        Plain(PretrainedModel.CreateRandom(PretrainedModel.ReadConfig(configPath), tokenizer, CPU, ScalarType.Float32, seed));

    /// <summary>A Quiet-STaR checkpoint, loaded through the library's builder.</summary>
    public static LoadedModel Checkpoint(string folder, Device? device = null, ScalarType dtype = ScalarType.Float32, ILoggerFactory? logger = null)
    {
        var builder = QuietStarBuilder.Create().UseModel(ModelSource.Checkpoint(folder)).UseDevice(device ?? CPU).UseDType(dtype);
        return new(null, (logger is null ? builder : builder.UseLoggerFactory(logger)).Build());
    }

    /// <summary>
    /// Equips the plain model for Quiet-STaR through the builder, as training starts it: vocabulary grown by START/END,
    /// their embeddings seeded from the init text, mixing head at w ≡ 0 (so its thoughts change nothing yet).
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is already equipped.</exception>
    public QuietStarPipeline Equip(QuietStarOptions options, long seed, ILoggerFactory? logger = null)
    {
        if (Pipeline is not null || plain is null)
        {
            throw new InvalidOperationException("The model is already a Quiet-STaR model.");
        }

        var builder = QuietStarBuilder.Create().UseModel(ModelSource.FromModel(plain)).UseOptions(options).UseSeed(seed)
            .UseDevice(plain.Model.Device).UseDType(plain.Model.DType);
        Pipeline = (logger is null ? builder : builder.UseLoggerFactory(logger)).Build(); // owns the plain model from now on
        plain = null;
        return Pipeline;
    }

    /// <summary>
    /// The pipeline to think with: a checkpoint's trained one, or the plain model equipped freshly with the default
    /// options (START/END seeded from the init text, w ≡ 0; <see cref="UntrainedWarning"/>); with
    /// <paramref name="thoughtTokens"/>, under that thought length.
    /// </summary>
    public QuietStarPipeline Thinking(int? thoughtTokens)
    {
        if (Pipeline is null)
        {
            var options = new QuietStarOptions();
            options.ThoughtTokens = thoughtTokens ?? options.ThoughtTokens;
            return Equip(options, seed: 0);
        }

        return thoughtTokens is { } tokens && tokens != Pipeline.Options.ThoughtTokens ? With(Pipeline.Options with { ThoughtTokens = tokens }) : Pipeline;
    }

    /// <summary>The equipped model under other options (<see cref="QuietStarPipeline.With(QuietStarOptions)"/>), released with this object.</summary>
    /// <exception cref="InvalidOperationException">The model is not equipped yet.</exception>
    public QuietStarPipeline With(QuietStarOptions options)
    {
        var view = (Pipeline ?? throw new InvalidOperationException("Equip the model first.")).With(options);
        views.Add(view);
        return view;
    }

    /// <summary>
    /// Saves the language model without the START/END rows as a plain Hugging Face folder (config.json,
    /// model.safetensors, tokenizer), which any verb loads with <c>--model</c>: how a pretraining run ships its model.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model was loaded from a Quiet-STaR checkpoint.</exception>
    public void SaveBaseModel(string folder)
    {
        if (Pipeline is not { } equipped)
        {
            PretrainedModel.Save(plain!.Model, plain.Tokenizer, folder);
            return;
        }

        if (IsCheckpoint || baseTokenizer is null)
        {
            throw new InvalidOperationException("Only a model that started plain can be saved as a plain model.");
        }

        var model = equipped.Model.LanguageModel;
        int vocabulary = equipped.Model.BaseVocabularySize;
        using var baseModel = new CausalLanguageModel(model.Config with { VocabSize = vocabulary }, model.Device, model.DType);
        using (torch.NewDisposeScope())
        {
            baseModel.LoadWeights(model.Weights().ToDictionary(
                w => w.Key,
                w => w.Key is "model.embed_tokens.weight" or "lm_head.weight" ? w.Value.narrow(0, 0, vocabulary) : w.Value));
        }

        PretrainedModel.Save(baseModel, baseTokenizer, folder);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var view in views)
        {
            view.Dispose();
        }

        Pipeline?.Dispose(); // owns the language model
        plain?.Dispose();
    }
}
