using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Inference;
using QuietStar.Core.Model;

namespace QuietStar.Cli.Commands.Generate;

/// <summary>
/// What <c>generate</c> decodes with: a plain model, a plain model equipped freshly for thinking (<c>--thoughts</c>), or
/// a Quiet-STaR checkpoint. Disposing releases the parameters.
/// </summary>
internal sealed class GenerateModel : IDisposable
{
    private readonly IDisposable owner;

    private GenerateModel(QuietStarGenerator generator, TransformerConfig config, IDisposable owner, bool freshlyEquipped)
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
        var loaded = settings.LoadModel();
        try
        {
            if (!settings.Think)
            {
                // A checkpoint's generator knows its thought tokens and never writes them as text, even without thinking.
                var plain = loaded.QuietStar is { } trained ? QuietStarGenerator.For(trained, loaded.Tokenizer) : QuietStarGenerator.For(loaded.Model, loaded.Tokenizer);
                return new GenerateModel(plain, loaded.Model.Config, loaded, freshlyEquipped: false);
            }

            var (model, fresh) = ThinkingModels.Think(loaded, settings.ThoughtTokens);
            var generator = QuietStarGenerator.For(model, loaded.Tokenizer, settings.ThoughtTokens);
            return new GenerateModel(generator, model.LanguageModel.Config, loaded, fresh);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => owner.Dispose();
}
