using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// A causal language model equipped to think: the model with its vocabulary grown by the START/END thought tokens,
/// the learned START/END embeddings and the mixing head. One module, so its parameters train and move together.
/// </summary>
public sealed class QuietStarModel : nn.Module
{
    [ComponentName(Name = "language_model")]
    private readonly CausalLanguageModel languageModel;

    [ComponentName(Name = "thought_embeddings")]
    private readonly ThoughtEmbeddings thoughtEmbeddings;

    [ComponentName(Name = "talk_head")]
    private readonly nn.Module mixingHead;

    private readonly QuietStarOptions options;

    private QuietStarModel(CausalLanguageModel languageModel, ThoughtEmbeddings thoughtEmbeddings, nn.Module mixingHead,
        QuietStarOptions options, int startThoughtId, int endThoughtId)
        : base(nameof(QuietStarModel))
    {
        this.languageModel = languageModel;
        this.thoughtEmbeddings = thoughtEmbeddings;
        this.mixingHead = mixingHead;
        this.options = options with { };
        StartThoughtId = startThoughtId;
        EndThoughtId = endThoughtId;
        RegisterComponents();
    }

    /// <summary>The language model (vocabulary includes the two thought tokens).</summary>
    public CausalLanguageModel LanguageModel => languageModel;

    /// <summary>
    /// The learned START/END embeddings (internal: a custom thought generator gets them from
    /// <see cref="ThoughtRequest.StartEmbedding"/> and <see cref="ThoughtRequest.EndEmbedding"/>; a custom loop trains
    /// them as the parameters <c>thought_embeddings.*</c>).
    /// </summary>
    internal ThoughtEmbeddings ThoughtEmbeddings => thoughtEmbeddings;

    /// <summary>The mixing head.</summary>
    public IMixingHead MixingHead => (IMixingHead)mixingHead;

    /// <summary>The algorithm's options: a copy of the model's own, so changing it has no effect on the model.</summary>
    public QuietStarOptions Options => options with { };

    /// <summary>Id of the START thought token (the first id after the base vocabulary).</summary>
    public int StartThoughtId { get; }

    /// <summary>Id of the END thought token.</summary>
    public int EndThoughtId { get; }

    /// <summary>Size of the vocabulary without the thought tokens.</summary>
    public int BaseVocabularySize => StartThoughtId;

    /// <summary>
    /// Equips a base model for Quiet-STaR training, the one recipe the builder uses too: START/END seeded from the
    /// tokens the options name (<see cref="QuietStarOptions.ThoughtInitText"/>, <see cref="QuietStarOptions.EndThoughtInitText"/>),
    /// the vocabulary grown by START and END, and the mixing head initialised so that w ≡ 0, all drawn from
    /// <paramref name="seed"/>. Prefer <c>QuietStarBuilder</c>, which also loads the model and registers the thought
    /// tokens in the tokenizer; this is for a model already in memory.
    /// </summary>
    /// <param name="languageModel">The base model; its vocabulary is grown in place and the result owns it.</param>
    /// <param name="tokenizer">Its tokenizer, to find the init tokens.</param>
    /// <param name="options">Algorithm options (validated).</param>
    /// <param name="seed">Seed of every initialisation.</param>
    /// <param name="mixingHead">A custom head (a TorchSharp module); the reference's head when null.</param>
    /// <exception cref="ArgumentException">An option is invalid or an init token is not in the tokenizer.</exception>
    internal static QuietStarModel Equip(CausalLanguageModel languageModel, TextTokenizer tokenizer, QuietStarOptions options, long seed,
        IMixingHead? mixingHead = null)
    {
        ArgumentNullException.ThrowIfNull(languageModel);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        var (startInit, endInit) = ThoughtInitToken.ChooseFor(tokenizer, options);
        using var generator = new Generator((ulong)seed, languageModel.Device);
        return Create(languageModel, startInit, endInit, options, generator, mixingHead);
    }

    /// <summary>
    /// The same trained model under other options, e.g. more thought tokens for evaluation or a continued run with
    /// another recipe: the result shares this model's language model, START/END embeddings and mixing head (nothing is
    /// copied or re-initialised; dispose only one of the two). When <paramref name="options"/> ask for another START/END
    /// gradient scale, the result holds a rescaled copy of the embeddings, so the embeddings e themselves are unchanged.
    /// </summary>
    /// <param name="options">The new options (validated).</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    internal QuietStarModel With(QuietStarOptions options) =>
        Restore(languageModel, thoughtEmbeddings, MixingHead, options, StartThoughtId, EndThoughtId);

    /// <summary>
    /// Equips a freshly loaded base model for Quiet-STaR training, as the reference's first forward does: grows the
    /// vocabulary by START and END (new rows Normal(0, 0.02)), sets both thought embeddings to the embedding of
    /// <paramref name="initTokenId"/>, and initialises the mixing head so that w ≡ 0.
    /// </summary>
    /// <param name="languageModel">The base model; its vocabulary is grown in place.</param>
    /// <param name="initTokenId">Token whose embedding seeds START/END (see <see cref="ThoughtInitToken"/>).</param>
    /// <param name="options">Validated algorithm options.</param>
    /// <param name="generator">Random source of every initialisation.</param>
    /// <param name="mixingHead">A custom head (a TorchSharp module); the reference's <see cref="Algorithm.MixingHead"/> when null.</param>
    internal static QuietStarModel Create(CausalLanguageModel languageModel, int initTokenId, QuietStarOptions options, Generator generator, IMixingHead? mixingHead = null) =>
        Create(languageModel, initTokenId, initTokenId, options, generator, mixingHead);

    /// <summary>As <see cref="Create(CausalLanguageModel, int, QuietStarOptions, Generator, IMixingHead?)"/>, seeding START and END from two tokens.</summary>
    /// <param name="languageModel">The base model; its vocabulary is grown in place.</param>
    /// <param name="startInitTokenId">Token whose embedding seeds START.</param>
    /// <param name="endInitTokenId">Token whose embedding seeds END (see <see cref="ThoughtInitToken.ChooseFor"/>).</param>
    /// <param name="options">Validated algorithm options.</param>
    /// <param name="generator">Random source of every initialisation.</param>
    /// <param name="mixingHead">A custom head (a TorchSharp module); the reference's <see cref="Algorithm.MixingHead"/> when null.</param>
    internal static QuietStarModel Create(CausalLanguageModel languageModel, int startInitTokenId, int endInitTokenId, QuietStarOptions options,
        Generator generator, IMixingHead? mixingHead = null)
    {
        ArgumentNullException.ThrowIfNull(languageModel);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        options.Validate();
        int baseVocabulary = languageModel.Config.VocabSize;
        foreach (int initTokenId in new[] { startInitTokenId, endInitTokenId })
        {
            if (initTokenId < 0 || initTokenId >= baseVocabulary)
            {
                throw new ArgumentOutOfRangeException(nameof(startInitTokenId), $"Init token {initTokenId} is outside the base vocabulary [0, {baseVocabulary}).");
            }
        }

        var head = AsModule(mixingHead ?? new MixingHead(languageModel.Config.HiddenSize, languageModel.Device, languageModel.DType));
        languageModel.ResizeVocabulary(baseVocabulary + 2, generator);
        var thoughts = new ThoughtEmbeddings(languageModel.Config.HiddenSize, options.ThoughtEmbeddingGradientScale, languageModel.Device, languageModel.DType);
        using (torch.no_grad())
        {
            thoughts.InitializeFrom(languageModel.EmbeddingWeight[startInitTokenId], languageModel.EmbeddingWeight[endInitTokenId]);
        }

        ((IMixingHead)head).Reset(generator);
        return new QuietStarModel(languageModel, thoughts, head, options, baseVocabulary, baseVocabulary + 1);
    }

    /// <summary>
    /// Wraps an already-equipped model (e.g. loaded from a checkpoint) without touching its trained thought
    /// embeddings or mixing head — the reference's evaluation script re-initialises them; this never does. When
    /// <paramref name="options"/> ask for another START/END gradient scale than <paramref name="thoughtEmbeddings"/>
    /// were stored with, the model gets a rescaled copy holding the same embeddings e.
    /// </summary>
    internal static QuietStarModel Restore(CausalLanguageModel languageModel, ThoughtEmbeddings thoughtEmbeddings, IMixingHead mixingHead,
        QuietStarOptions options, int startThoughtId, int endThoughtId)
    {
        ArgumentNullException.ThrowIfNull(languageModel);
        ArgumentNullException.ThrowIfNull(thoughtEmbeddings);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (startThoughtId < 0 || endThoughtId != startThoughtId + 1 || endThoughtId >= languageModel.Config.VocabSize)
        {
            throw new ArgumentException(
                $"Thought token ids {startThoughtId}/{endThoughtId} must be two consecutive ids inside the model's vocabulary of {languageModel.Config.VocabSize}.");
        }

        // The options record the scale that interprets the stored p = e / scale: when they ask for another scale,
        // rescale p so that e stays as trained (the given embeddings stay with their owner, unchanged).
        var thoughts = thoughtEmbeddings.GradientScale == options.ThoughtEmbeddingGradientScale
            ? thoughtEmbeddings
            : thoughtEmbeddings.WithGradientScale(options.ThoughtEmbeddingGradientScale);
        return new QuietStarModel(languageModel, thoughts, AsModule(mixingHead), options, startThoughtId, endThoughtId);
    }

    private static nn.Module AsModule(IMixingHead head) =>
        head as nn.Module ?? throw new ArgumentException(
            $"Mixing head {head.GetType().Name} must derive from TorchSharp's nn.Module so its parameters train and save.", nameof(head));
}
