using QuietStar.Core.Algorithm;
using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Inference;

/// <summary>
/// Generates text with a Quiet-STaR model that thinks while it speaks ("quiet" decoding). For each token the base step
/// feeds the newest token to the key/value cache (h_base, z_base). In <see cref="ThoughtDecoding.EveryToken"/> mode
/// (the reference's) the model then reads START, samples T thought tokens as in training (hard Gumbel from the LM head,
/// START/END excluded, i.e. from softmax at temperature 1) and reads END, at positions t+1 … t+T+2, and the mixing head
/// blends the base and post-thought predictions by the model's mixing rule. In
/// <see cref="ThoughtDecoding.ThinkThenSpeak"/> mode one thought serves M tokens: the tokens after it are read along
/// the thought's branch, as training's teacher-forced talk steps, and talk step s is mixed with the base state s
/// tokens on. The next token is chosen from the mixed prediction (greedy, or temperature + top-p). Thoughts live in a
/// branch of the cache, so later tokens never attend to earlier thoughts, exactly as in training; the mixed
/// prediction equals the one the parallel training pass computes for the same thought.
/// </summary>
/// <remarks>
/// <para>
/// Cost: every token, T + 2 forward calls (base, START, T − 1 thought tokens, then the last thought token and END in
/// one call) instead of one; thinking once per M tokens, 2 + T/M calls per token on average (each of the M tokens has
/// its base step, the M − 1 after the first one talk step on the branch, and the thought itself T + 1 calls).
/// </para>
/// <para>
/// Randomness: thoughts are sampled even with <see cref="GenerationOptions.Greedy"/>, so
/// <see cref="GenerationOptions.Seed"/> also seeds them (a fresh seed when null). Each row of a batch samples its
/// thoughts from its own generator seeded from Seed + row index, so with greedy text a row of a batch continues as its
/// prompt does alone with that seed (up to floating-point rounding in near ties). Text sampling, as in
/// <see cref="TextGenerator"/>, draws every row from one generator seeded with Seed.
/// </para>
/// <para>
/// Without thoughts (<see cref="ThoughtOptions.None"/>, or a plain model) it decodes as <see cref="TextGenerator"/> does.
/// Ids of the thought tokens, and ids the tokenizer does not know, are never generated as text.
/// </para>
/// </remarks>
internal sealed class QuietStarGenerator
{
    private readonly QuietStarModel? model;
    private readonly TextTokenizer tokenizer;
    private readonly TextGenerator baseGenerator;
    private readonly int vocabulary;

    private QuietStarGenerator(CausalLanguageModel languageModel, QuietStarModel? model, TextTokenizer tokenizer, int thoughtTokens)
    {
        tokenizer.EnsureFits(languageModel.Config.VocabSize);
        int textVocabulary = model?.BaseVocabularySize ?? languageModel.Config.VocabSize;
        this.model = model;
        this.tokenizer = tokenizer;
        baseGenerator = new TextGenerator(languageModel, tokenizer, textVocabulary);
        vocabulary = Math.Min(textVocabulary, tokenizer.VocabularySize);
        ThoughtTokens = thoughtTokens;
        Context = languageModel.Config.MaxPositionEmbeddings;
    }

    /// <summary>Whether the model can think (it is a Quiet-STaR model).</summary>
    public bool CanThink => model is not null;

    /// <summary>Sampled tokens per thought, T (0 for a model that cannot think).</summary>
    public int ThoughtTokens { get; }

    /// <summary>The model's context: every position, thoughts included, must stay below it.</summary>
    public int Context { get; }

    /// <summary>The tokens that end a text when <see cref="GenerationOptions.StopAtEos"/> is set (as <see cref="TextGenerator.StopTokenIds"/>).</summary>
    public IReadOnlySet<int> StopTokenIds => baseGenerator.StopTokenIds;

    /// <summary>A generator for a Quiet-STaR model. Its modules are shared, not copied.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">The tokenizer the model was trained with (with or without the thought tokens registered).</param>
    /// <param name="thoughtTokens">Sampled tokens per thought; the model's own <c>ThoughtTokens</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="thoughtTokens"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The tokenizer has more base tokens than the model's vocabulary.</exception>
    public static QuietStarGenerator For(QuietStarModel model, TextTokenizer tokenizer, int? thoughtTokens = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        int tokens = thoughtTokens ?? model.Options.ThoughtTokens;
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1, nameof(thoughtTokens));
        return new QuietStarGenerator(model.LanguageModel, model, tokenizer, tokens);
    }

    /// <summary>A generator for a plain language model, which can only decode without thoughts.</summary>
    /// <exception cref="InvalidOperationException">The tokenizer has more base tokens than the model's vocabulary.</exception>
    public static QuietStarGenerator For(CausalLanguageModel model, TextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new QuietStarGenerator(model, null, tokenizer, thoughtTokens: 0);
    }

    /// <summary>
    /// The most tokens a prompt of <paramref name="promptTokens"/> tokens (BOS included) can be continued by with
    /// thoughts: the last token's thought ends at position prompt + tokens + T, which must be inside the context.
    /// </summary>
    public int MaxThoughtfulTokens(int promptTokens) => Math.Max(0, Context - promptTokens - ThoughtTokens - 1);

    /// <summary>Streams the continuation of <paramref name="prompt"/>, one piece per generated token.</summary>
    /// <param name="prompt">The text to continue; empty to start from BOS.</param>
    /// <param name="options">Decoding and stopping options; <see cref="GenerationOptions.Seed"/> also seeds the thoughts.</param>
    /// <param name="thoughts">Whether to think and whether to include the thoughts in the pieces.</param>
    /// <returns>The pieces, produced lazily as the sequence is enumerated; the prompt is not included.</returns>
    /// <exception cref="ArgumentException">
    /// The options are invalid, or the prompt is empty and the tokenizer has no BOS, or the positions do not fit the
    /// context: without thoughts, prompt + MaxTokens tokens; with thoughts, the last token's thought, which reaches
    /// position prompt + MaxTokens + T (see <see cref="MaxThoughtfulTokens"/>). Thrown here, before any work.
    /// </exception>
    /// <exception cref="InvalidOperationException">Thoughts were asked of a model that cannot think.</exception>
    public IEnumerable<ThoughtfulPiece> Stream(string prompt, GenerationOptions options, ThoughtOptions thoughts)
    {
        ArgumentNullException.ThrowIfNull(thoughts);
        thoughts.Validate();
        if (!thoughts.Think)
        {
            return baseGenerator.Stream(prompt, options).Select(piece => new ThoughtfulPiece(piece.TokenId, piece.Text, null));
        }

        var rows = Prepare([prompt], options);
        return Decode(rows, options, thoughts, thoughts.IncludeThoughts).Select(item => item.Piece);
    }

    /// <summary>Generates the whole continuation of <paramref name="prompt"/>.</summary>
    /// <inheritdoc cref="Stream" path="/param"/>
    /// <inheritdoc cref="Stream" path="/exception"/>
    public GeneratedText Generate(string prompt, GenerationOptions options, ThoughtOptions thoughts) => GenerateBatch([prompt], options, thoughts)[0];

    /// <summary>
    /// Generates continuations of several prompts in one batch (left-padded, padding masked). With greedy text, row r
    /// equals what <see cref="Generate"/> gives for its prompt alone with seed Seed + r (up to rounding in near ties).
    /// </summary>
    /// <param name="prompts">The texts to continue.</param>
    /// <param name="options">Decoding and stopping options, shared by every row.</param>
    /// <param name="thoughts">Whether to think (the thoughts themselves are only streamed, never collected).</param>
    /// <returns>One result per prompt, in order.</returns>
    /// <exception cref="ArgumentException">No prompts, invalid options, or the longest prompt does not fit as in <see cref="Stream"/>.</exception>
    /// <exception cref="InvalidOperationException">Thoughts were asked of a model that cannot think.</exception>
    public IReadOnlyList<GeneratedText> GenerateBatch(IReadOnlyList<string> prompts, GenerationOptions options, ThoughtOptions thoughts) =>
        GenerateBatch(prompts, options, thoughts, CancellationToken.None);

    /// <summary>As <see cref="GenerateBatch(IReadOnlyList{string}, GenerationOptions, ThoughtOptions)"/>, stopping between two tokens when <paramref name="cancellationToken"/> fires.</summary>
    internal IReadOnlyList<GeneratedText> GenerateBatch(IReadOnlyList<string> prompts, GenerationOptions options, ThoughtOptions thoughts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(thoughts);
        thoughts.Validate();
        if (!thoughts.Think)
        {
            return baseGenerator.GenerateBatch(prompts, options, cancellationToken);
        }

        var rows = Prepare(prompts, options);
        foreach (var _ in Decode(rows, options, thoughts, includeThoughts: false))
        {
            cancellationToken.ThrowIfCancellationRequested();  // the rows collect the text; the pieces are only for streaming
        }

        return rows.Select(row => row.Result).ToArray();
    }

    /// <summary>
    /// As <see cref="GenerateBatch(IReadOnlyList{string}, GenerationOptions, ThoughtOptions)"/> for prompts given as token
    /// ids (BOS included where wanted), with each row's thoughts in order (one per generated token; empty without thoughts).
    /// </summary>
    internal IReadOnlyList<(GeneratedText Text, IReadOnlyList<GeneratedThought> Thoughts)> GenerateFromIds(
        IReadOnlyList<int[]> promptIds, GenerationOptions options, ThoughtOptions thoughts)
    {
        ArgumentNullException.ThrowIfNull(thoughts);
        thoughts.Validate();
        if (!thoughts.Think)
        {
            return baseGenerator.GenerateFromIds(promptIds, options).Select(text => (text, (IReadOnlyList<GeneratedThought>)[])).ToArray();
        }

        options.Validate();
        var rows = Prepare(promptIds, options);
        var collected = rows.Select(_ => new List<GeneratedThought>()).ToArray();
        foreach (var (row, piece) in Decode(rows, options, thoughts, includeThoughts: true))
        {
            collected[row].Add(piece.Thought!);
        }

        return rows.Select((row, r) => (row.Result, (IReadOnlyList<GeneratedThought>)collected[r])).ToArray();
    }

    /// <summary>Validates everything and encodes the prompts, before any tensor work.</summary>
    private DecodingRow[] Prepare(IReadOnlyList<string> prompts, GenerationOptions options) =>
        Prepare(PromptEncoding.Encode(tokenizer, prompts, options), options);

    private DecodingRow[] Prepare(IReadOnlyList<int[]> encoded, GenerationOptions options)
    {
        if (model is null)
        {
            throw new InvalidOperationException(
                "Thoughts were asked for, but this model has no thought tokens: it is a plain language model, not a Quiet-STaR " +
                "model (no START/END embeddings, no mixing head). Generate without thoughts (ThoughtOptions.None), or load a Quiet-STaR model.");
        }

        int longest = encoded.Max(ids => ids.Length);
        if (options.MaxTokens > MaxThoughtfulTokens(longest))
        {
            throw new ArgumentException(
                $"The prompt has {longest} tokens and MaxTokens is {options.MaxTokens}: with {ThoughtTokens}-token thoughts the last token's " +
                $"thought (START, {ThoughtTokens} tokens, END after the token at position t, at t+1 … t+{ThoughtTokens + 2}) reaches position " +
                $"{(long)longest + options.MaxTokens + ThoughtTokens}, beyond the model's context of {Context}. Shorten the prompt or lower MaxTokens " +
                $"to at most {MaxThoughtfulTokens(longest)}.",
                nameof(options));
        }

        return encoded.Select(ids => new DecodingRow(tokenizer, ids, options.StopStrings)).ToArray();
    }

    /// <summary>Tokens predicted from one thought under <paramref name="thoughts"/>: 1 before every token, else M.</summary>
    public int TalkTokens(ThoughtOptions thoughts)
    {
        ArgumentNullException.ThrowIfNull(thoughts);
        var decoding = thoughts.Decoding ?? model?.Options.Decoding ?? ThoughtDecoding.EveryToken;
        return decoding == ThoughtDecoding.EveryToken ? 1 : thoughts.TalkTokens ?? model?.Options.TalkTokens ?? 1;
    }

    /// <summary>The decoding loop with thoughts (before every token, or one per <see cref="TalkTokens"/> tokens).</summary>
    private IEnumerable<(int Row, ThoughtfulPiece Piece)> Decode(DecodingRow[] rows, GenerationOptions options, ThoughtOptions thoughts, bool includeThoughts)
    {
        var thinking = model!;
        var device = thinking.LanguageModel.Device;
        ulong seed = unchecked((ulong)(options.Seed ?? Random.Shared.NextInt64()));
        using var sampler = options.Greedy ? null : new Generator(seed, device);
        using var thoughtSampler = new RowGumbelSampler(rows.Length, seed, device, thinking.Options.GumbelTemperature, ThoughtTokens);
        var batch = new LeftPaddedBatch(rows.Select(row => row.PromptIds).ToArray(), device);
        ThoughtTokenChoice choose = thoughts.Sampling switch
        {
            ThoughtSampling.Greedy => (logits, _) => logits.argmax(-1),                                                // [B]
            ThoughtSampling.Uniform => (logits, k) => thoughtSampler.Choose(Uniform(logits), k),                       // [B]
            _ => thoughtSampler.Choose,
        };
        using var step = new QuietStep(thinking, ThoughtTokens, vocabulary, batch, choose, TalkTokens(thoughts), options.MaxTokens);
        QuietStepResult? last = null;
        int[] Next(long[] ids) => (last = step.Run(ids, logits => TokenSampler.Choose(logits, options, sampler), includeThoughts)).Next;
        foreach (var (row, piece) in DecodingLoop.Run(rows, batch.PromptIds, options, StopTokenIds, Next))
        {
            yield return (row, new ThoughtfulPiece(piece.TokenId, piece.Text, includeThoughts ? Thought(last!, row) : null));
        }
    }

    /// <summary>Logits <c>[B, V+2]</c> of a uniform choice among every token but START and END (whose logits the step set to −1e10).</summary>
    private Tensor Uniform(Tensor logits) =>
        torch.zeros_like(logits).index_fill(-1, torch.tensor(new long[] { model!.StartThoughtId, model.EndThoughtId }, device: logits.device), GumbelSampler.Unsampleable);

    private GeneratedThought Thought(QuietStepResult step, int row)
    {
        int[] ids = step.ThoughtIds![row];
        string text = ids.All(id => id < tokenizer.VocabularySize)
            ? tokenizer.Decode(ids)
            : string.Concat(ids.Select(id => id < tokenizer.VocabularySize ? tokenizer.Decode([id]) : $"<{id}>"));
        return new GeneratedThought(ids, text, step.Weights![row], step.TalkStep);
    }
}
