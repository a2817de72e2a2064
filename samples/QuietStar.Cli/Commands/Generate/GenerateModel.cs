using QuietStar.Core;
using QuietStar.Core.Inference;
using QuietStar.Core.Model;
using static TorchSharp.torch;

namespace QuietStar.Cli.Commands.Generate;

/// <summary>
/// What <c>generate</c> decodes with: a plain model, a plain model equipped freshly for thinking (<c>--thoughts</c>), or
/// a Quiet-STaR checkpoint. Disposing releases the parameters.
/// </summary>
internal sealed class GenerateModel : IDisposable
{
    private readonly nn.Module owner;

    private GenerateModel(QuietStarGenerator generator, TransformerConfig config, nn.Module owner, bool freshlyEquipped)
    {
        Generator = generator;
        Config = config;
        this.owner = owner;
        FreshlyEquipped = freshlyEquipped;
    }

    /// <summary>The generator, with thoughts when the model can think.</summary>
    public QuietStarGenerator Generator { get; }

    /// <summary>The language model's configuration.</summary>
    public TransformerConfig Config { get; }

    /// <summary>Whether thoughts were added just now to a plain model: the mixing weight is then 0.</summary>
    public bool FreshlyEquipped { get; }

    /// <summary>Loads the model <paramref name="settings"/> name, equipping a plain model when thoughts are asked for.</summary>
    public static GenerateModel Load(GenerateSettings settings)
    {
        if (ThinkingModels.IsCheckpoint(settings.Model))
        {
            var (checkpoint, checkpointTokenizer) = ThinkingModels.LoadCheckpoint(settings.Model!);
            var generator = QuietStarGenerator.For(checkpoint, checkpointTokenizer, settings.ThoughtTokens);
            return new GenerateModel(generator, checkpoint.LanguageModel.Config, checkpoint, freshlyEquipped: false);
        }

        var pretrained = settings.LoadModel();
        var tokenizer = pretrained.Tokenizer;
        if (!settings.Think)
        {
            return new GenerateModel(QuietStarGenerator.For(pretrained.Model, tokenizer), pretrained.Model.Config, pretrained.Model, freshlyEquipped: false);
        }

        var model = ThinkingModels.Equip(pretrained, settings.ThoughtTokens);
        return new GenerateModel(QuietStarGenerator.For(model, tokenizer), model.LanguageModel.Config, model, freshlyEquipped: true);
    }

    /// <inheritdoc />
    public void Dispose() => owner.Dispose();
}
