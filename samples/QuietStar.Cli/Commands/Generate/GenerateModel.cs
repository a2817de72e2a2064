using QuietStar.Core;
using QuietStar.Core.Configuration;
using QuietStar.Core.Inference;
using QuietStar.Core.Model;
using QuietStar.Core.Thinking;
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
        if (settings.IsQuietStarCheckpoint)
        {
            return LoadQuietStarCheckpoint(settings);
        }

        var pretrained = settings.LoadModel();
        var tokenizer = pretrained.Tokenizer;
        if (!settings.Think)
        {
            return new GenerateModel(QuietStarGenerator.For(pretrained.Model, tokenizer), pretrained.Model.Config, pretrained.Model, freshlyEquipped: false);
        }

        var options = new QuietStarOptions();
        options.ThoughtTokens = settings.ThoughtTokens ?? options.ThoughtTokens;
        int initToken = ThoughtInitToken.Choose(tokenizer.Encode(options.ThoughtInitText), id => tokenizer.Decode([id]), options.ThoughtInitRule);
        using var generator = new TorchSharp.torch.Generator(0);
        var model = QuietStarModel.Create(pretrained.Model, initToken, options, generator);
        return new GenerateModel(QuietStarGenerator.For(model, tokenizer), model.LanguageModel.Config, model, freshlyEquipped: true);
    }

    /// <inheritdoc />
    public void Dispose() => owner.Dispose();

    /// <summary>
    /// The seam where a Quiet-STaR checkpoint folder (one holding <c>quietstar.json</c>) is loaded with its trained
    /// thought embeddings and mixing head: <c>QuietStarCheckpoint.Load(folder, device, dtype)</c>, then
    /// <c>QuietStarGenerator.For(model, tokenizer, settings.ThoughtTokens)</c>. The loader is not on this branch yet.
    /// </summary>
    private static GenerateModel LoadQuietStarCheckpoint(GenerateSettings settings) => throw new NotSupportedException(
        $"'{settings.Model}' is a Quiet-STaR checkpoint (it holds {GenerateSettings.QuietStarManifest}), which this build cannot load yet. " +
        "Pass its base model with --thoughts meanwhile.");
}
