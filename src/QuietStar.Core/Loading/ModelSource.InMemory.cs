using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;
using static TorchSharp.torch;

namespace QuietStar.Core.Loading;

public sealed partial class ModelSource
{
    /// <summary>
    /// A model already in memory (loaded, converted or trained by the application): the builder equips it for
    /// Quiet-STaR and the pipeline takes ownership of it (disposing the pipeline disposes the model). The builder's
    /// device and dtype must be the model's. A source made this way can be built once.
    /// </summary>
    /// <param name="model">The plain language model and its tokenizer.</param>
    /// <exception cref="InvalidOperationException">At build: the source was built before, or the builder's device or dtype is not the model's.</exception>
    public static ModelSource FromModel(PretrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int built = 0;
        string description = $"in-memory model ({model.Model.Config.ModelType}, {model.Model.Config.NumLayers} layers, vocabulary {model.Model.Config.VocabSize})";
        return new ModelSource(description, (device, dtype, _) =>
        {
            if (Interlocked.Exchange(ref built, 1) == 1)
            {
                throw new InvalidOperationException(
                    $"ModelSource.FromModel: the {description} was already built into a pipeline, which owns it. Create a new source (or a new model) per pipeline.");
            }

            if (model.Model.Device.type != device.type || model.Model.Device.index != device.index || model.Model.DType != dtype)
            {
                Interlocked.Exchange(ref built, 0);
                throw new InvalidOperationException(
                    $"ModelSource.FromModel: the model is on {model.Model.Device} in {model.Model.DType}, the builder asks for {device} in {dtype}. " +
                    "Call UseDevice/UseDType with the model's device and dtype (or move the model first).");
            }

            return LoadedModelSource.Base(model);
        });
    }

    /// <summary>
    /// A fresh model of <paramref name="config"/>'s shapes with random weights from <paramref name="seed"/> (see
    /// <see cref="PretrainedModel.CreateRandom"/>), made on the builder's device and dtype each time the source is built:
    /// pretraining from scratch, or a cheap model for tests (see <c>TestModels</c> in <c>QuietStar.Core.Testing</c>).
    /// </summary>
    /// <param name="config">The shapes; validated when built.</param>
    /// <param name="tokenizer">The tokenizer, e.g. <see cref="TextTokenizer.ByteLevel"/>; it must fit the configuration's vocabulary.</param>
    /// <param name="seed">Seed of the weights: the same seed gives the same model.</param>
    public static ModelSource Random(TransformerConfig config, TextTokenizer tokenizer, long seed = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new ModelSource($"random {config.ModelType} model (seed {seed}, {config.NumLayers} layers, hidden {config.HiddenSize}, vocabulary {config.VocabSize})",
            (device, dtype, _) => LoadedModelSource.Base(PretrainedModel.CreateRandom(config, tokenizer, device, dtype, seed)));
    }
}
