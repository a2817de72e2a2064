using QuietStar.Cli.Infrastructure;
using QuietStar.Core;
using QuietStar.Core.Model;

namespace QuietStar.Cli.Commands.Generate;

/// <summary>
/// What <c>generate</c> decodes with: the pipeline of a Quiet-STaR checkpoint, or of a plain model equipped through the
/// builder (freshly: w ≡ 0, so its text is the base model's until it is trained). Disposing releases the parameters.
/// </summary>
internal sealed class GenerateModel : IDisposable
{
    private readonly LoadedModel owner;

    private GenerateModel(QuietStarPipeline pipeline, TransformerConfig config, LoadedModel owner, bool freshlyEquipped)
    {
        Pipeline = pipeline;
        Config = config;
        this.owner = owner;
        FreshlyEquipped = freshlyEquipped;
    }

    /// <summary>The pipeline to generate with; it never writes START/END as text, thinking or not.</summary>
    public QuietStarPipeline Pipeline { get; }

    /// <summary>The language model's configuration: the thinking model's, or as loaded when decoding without thoughts.</summary>
    public TransformerConfig Config { get; }

    /// <summary>Whether thoughts were added just now to a plain model: the mixing weight is then 0.</summary>
    public bool FreshlyEquipped { get; }

    /// <summary>Loads the model <paramref name="settings"/> name; a plain model is equipped (its thoughts used only when asked for).</summary>
    public static GenerateModel Load(GenerateSettings settings)
    {
        var loaded = settings.LoadModel();
        try
        {
            var loadedConfig = loaded.Config;
            QuietStarPipeline pipeline = loaded.Thinking(settings.Think ? settings.ThoughtTokens : null);
            var config = settings.Think ? pipeline.Model.LanguageModel.Config : loadedConfig;
            return new GenerateModel(pipeline, config, loaded, freshlyEquipped: settings.Think && !loaded.IsCheckpoint);
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
