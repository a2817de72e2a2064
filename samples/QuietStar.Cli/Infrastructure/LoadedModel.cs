using QuietStar.Core;
using QuietStar.Core.Checkpoints;
using QuietStar.Core.Configuration;
using QuietStar.Core.Loading;
using QuietStar.Core.Model;
using QuietStar.Core.Thinking;
using QuietStar.Core.Tokenization;
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

    /// <summary>Wraps a loaded Quiet-STaR checkpoint.</summary>
    public static LoadedModel Checkpoint(LoadedCheckpoint checkpoint) =>
        new(checkpoint.Model.LanguageModel, checkpoint.Tokenizer, checkpoint.Model);

    /// <summary>
    /// Equips the plain model for Quiet-STaR as training starts it: vocabulary grown by START/END, their embeddings
    /// seeded from the init text, mixing head at w ≡ 0 (so its thoughts change nothing yet).
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is already equipped.</exception>
    public QuietStarModel Equip(QuietStarOptions options, ulong seed)
    {
        if (QuietStar is not null)
        {
            throw new InvalidOperationException("The model is already a Quiet-STaR model.");
        }

        int initToken = ThoughtInitToken.Choose(Tokenizer.Encode(options.ThoughtInitText), id => Tokenizer.Decode([id]), options.ThoughtInitRule);
        using var generator = new Generator(seed);
        QuietStar = QuietStarModel.Create(Model, initToken, options, generator);
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
