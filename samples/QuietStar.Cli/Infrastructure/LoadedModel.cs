using QuietStar.Core;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Loading;
using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Cli.Infrastructure;

/// <summary>
/// A model a verb loaded: a plain language model (llama2.c or Hugging Face) or a Quiet-STaR checkpoint, whose
/// equipped model is kept in <see cref="QuietStar"/>. Disposing releases the parameters.
/// </summary>
internal sealed class LoadedModel : IDisposable
{
    private LoadedModel(CausalLanguageModel model, TextTokenizer tokenizer, QuietStarModel? quietStar)
    {
        Model = model;
        Tokenizer = tokenizer;
        QuietStar = quietStar;
    }

    /// <summary>The language model; for a checkpoint its vocabulary includes the START/END thought tokens.</summary>
    public CausalLanguageModel Model { get; }

    /// <summary>The tokenizer; for a checkpoint the thought tokens are registered (a trainer registers them when it starts).</summary>
    public TextTokenizer Tokenizer { get; }

    /// <summary>The equipped model: from a checkpoint, or from <see cref="Equip"/>; null for a plain model.</summary>
    public QuietStarModel? QuietStar { get; private set; }

    /// <summary>Wraps a plain pretrained model.</summary>
    public static LoadedModel Plain(PretrainedModel pretrained) => new(pretrained.Model, pretrained.Tokenizer, null);

    /// <summary>
    /// A fresh model of the shapes in <paramref name="configPath"/> (a Hugging Face <c>config.json</c>), its weights
    /// drawn as Hugging Face initialises them (Normal(0, 0.02), norms 1) from <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tokenizer has more tokens than the configuration's vocabulary.</exception>
    public static LoadedModel Initialise(string configPath, TextTokenizer tokenizer, long seed)
    {
        return Plain(PretrainedModel.CreateRandom(PretrainedModel.ReadConfig(configPath), tokenizer, CPU, ScalarType.Float32, seed));
    }

    /// <summary>
    /// Saves the language model without the START/END rows as a plain Hugging Face folder (config.json,
    /// model.safetensors, tokenizer), which any verb loads with <c>--model</c>: how a pretraining run ships its model.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model was loaded from a Quiet-STaR checkpoint (its tokenizer carries the thought tokens).</exception>
    public void SaveBaseModel(string folder)
    {
        if (QuietStar is not { } equipped)
        {
            PretrainedModel.Save(Model, Tokenizer, folder);
            return;
        }

        if (Tokenizer.VocabularySize > equipped.BaseVocabularySize)
        {
            throw new InvalidOperationException("Only a model that started plain can be saved as a plain model.");
        }

        var baseConfig = Model.Config with { VocabSize = equipped.BaseVocabularySize };
        using var plain = new CausalLanguageModel(baseConfig, Model.Device, Model.DType);
        using (torch.NewDisposeScope())
        {
            plain.LoadWeights(Model.Weights().ToDictionary(
                w => w.Key,
                w => w.Key is "model.embed_tokens.weight" or "lm_head.weight" ? w.Value.narrow(0, 0, equipped.BaseVocabularySize) : w.Value));
        }

        PretrainedModel.Save(plain, Tokenizer, folder);
    }

    /// <summary>A Quiet-STaR checkpoint, loaded through the library's builder (the model is this object's to dispose).</summary>
    public static LoadedModel Checkpoint(string folder, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        var pipeline = QuietStarBuilder.Create().UseModel(ModelSource.Checkpoint(folder)).UseDevice(device ?? CPU).UseDType(dtype).Build();
        return new(pipeline.Model.LanguageModel, pipeline.Tokenizer, pipeline.Model);
    }

    /// <summary>
    /// Equips the plain model for Quiet-STaR as training starts it: vocabulary grown by START/END, their embeddings
    /// seeded from the init text, mixing head at w ≡ 0 (so its thoughts change nothing yet).
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is already equipped.</exception>
    public QuietStarModel Equip(QuietStarOptions options, long seed)
    {
        if (QuietStar is not null)
        {
            throw new InvalidOperationException("The model is already a Quiet-STaR model.");
        }

        QuietStar = QuietStarModel.Equip(Model, Tokenizer, options, seed);
        return QuietStar;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (QuietStar is not null)
        {
            QuietStar.Dispose(); // owns the language model too
        }
        else
        {
            Model.Dispose();
        }
    }
}
