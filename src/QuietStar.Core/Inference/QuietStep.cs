using QuietStar.Core.Algorithm;
using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Inference;

/// <summary>
/// One batch's quiet decoding: the main cache and the step that thinks. A step feeds the new tokens to the main cache
/// (the base step, giving h_base), then predicts the next token from a thought: in
/// <see cref="ThoughtDecoding.EveryToken"/> mode a fresh one after the newest token, in
/// <see cref="ThoughtDecoding.ThinkThenSpeak"/> mode a fresh one every <c>speak</c> tokens, the tokens in between
/// read along that thought's branch after END (training's teacher-forced talk steps). A thought lives in its own
/// branch of the cache, forked from the main cache at its origin; the main cache only ever holds the text, so later
/// tokens never attend to earlier thoughts, exactly as in the parallel training pass.
/// </summary>
/// <remarks>
/// A branch's slots attend to every real text key up to the thought's origin and to their own earlier slots, which is
/// what either of training's thought-attention strategies computes for one position. With a single query per row the
/// diagonal (branch-block) form saves nothing and costs more operations per layer (docs/performance.md). All rows of
/// a batch advance in lockstep, so they think at the same steps. Every one-token text step and every thought slot runs
/// through <see cref="DecodingBackbone"/> (fewer torch calls per layer than the general forward; the same cache), under
/// inference mode; only the prompt's prefill takes the general forward.
/// </remarks>
internal sealed class QuietStep : IDisposable
{
    private readonly QuietStarModel model;
    private readonly CausalLanguageModel lm;
    private readonly int thoughtTokens;
    private readonly int speak;
    private readonly int vocabulary;
    private readonly LeftPaddedBatch batch;
    private readonly ThoughtTokenChoice chooseThought;
    private readonly DecodingBackbone backbone;
    private KeyValueCache? branch;
    private Tensor? origin;
    private Tensor? thoughtIds;
    private int spoken;

    /// <summary>Creates the step for <paramref name="batch"/> with an empty cache.</summary>
    /// <param name="model">The Quiet-STaR model.</param>
    /// <param name="thoughtTokens">Sampled tokens per thought, T.</param>
    /// <param name="vocabulary">Next-token ids are chosen below this (the base vocabulary the tokenizer knows).</param>
    /// <param name="batch">The left-padded prompts.</param>
    /// <param name="chooseThought">How thought tokens are chosen (training's Gumbel sampling, or forced in tests).</param>
    /// <param name="speak">Tokens predicted from one thought: 1 thinks before every token; M speaks M tokens along its branch.</param>
    /// <param name="maxNewTokens">Tokens the run may generate (sizes the decoding tables); up to the context when null.</param>
    public QuietStep(QuietStarModel model, int thoughtTokens, int vocabulary, LeftPaddedBatch batch, ThoughtTokenChoice chooseThought, int speak = 1,
        int? maxNewTokens = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(speak, 1);
        this.model = model;
        lm = model.LanguageModel;
        this.thoughtTokens = thoughtTokens;
        this.speak = speak;
        this.vocabulary = vocabulary;
        this.batch = batch;
        this.chooseThought = chooseThought;
        Cache = new KeyValueCache(lm.Config.NumLayers);
        backbone = new DecodingBackbone(lm, thoughtTokens + 2 + speak, textPositions: maxNewTokens is { } n ? (int)Math.Min((long)batch.Longest + n, lm.Config.MaxPositionEmbeddings) : null);
    }

    /// <summary>The main cache: it holds the text fed so far and nothing of the thoughts.</summary>
    public KeyValueCache Cache { get; }

    /// <summary>
    /// Feeds new tokens, predicts each row's next token from a thought (a fresh one, or the current one's branch one
    /// talk step on) mixed with the base prediction, and chooses it.
    /// </summary>
    /// <param name="ids">The new tokens, row-major <c>[B × L]</c> (0 at padding).</param>
    /// <param name="chooseNext">Chooses each row's token from the mixed next-token logits <c>[B, V]</c> (V = the text vocabulary).</param>
    /// <param name="trace">Whether to return each row's thought and mixing weight.</param>
    public QuietStepResult Run(long[] ids, Func<Tensor, int[]> chooseNext, bool trace)
    {
        using var scope = torch.NewDisposeScope();
        using var inference = torch.inference_mode();
        var input = batch.Input(ids, Cache);
        var baseHidden = backbone.ForwardText(input).select(1, -1);                              // [B, H]
        var position = input.PositionIds!.narrow(1, -1, 1);                                      // [B, 1]: t of each row's newest token
        Tensor talkHidden;                                                                        // [B, H]
        if (branch is null || spoken == speak)
        {
            StartThought(position);
            talkHidden = Think();                                                                 // after END: talk step 0
        }
        else
        {
            // Talk step s: the token spoken last, read along the branch at t₀ + T + 2 + s (its thought's END is at t₀ + T + 2).
            var (cos, signedSin) = backbone.Rotary(origin! + (thoughtTokens + 2 + spoken));      // [B, 1, 1, D] ×2
            var mask = backbone.Mask(AttentionSpec.Explicit(Visible(branch.Length + 1)), 1, branch.Length);
            talkHidden = Feed(backbone.Embed(input.InputIds!), cos, signedSin, mask);
        }

        spoken++;
        var (mixed, w) = ThoughtMixing.Mix(model, model.Options.MixingSpace, baseHidden, () => lm.ComputeLogits(baseHidden), talkHidden); // [B, V+2], [B, 1]
        int[] next = chooseNext(mixed.narrow(-1, 0, vocabulary));                                 // thought ids and unknown ids excluded
        return trace
            ? new QuietStepResult(next, PerRow(thoughtIds!), w.squeeze(-1).to_type(ScalarType.Float32).cpu().data<float>().ToArray(), spoken - 1)
            : new QuietStepResult(next, null, null, spoken - 1);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        EndThought();
        Cache.Dispose();
        backbone.Dispose();
    }

    /// <summary>Forks the branch of a new thought from the main cache after the token at <paramref name="position"/> <c>[B, 1]</c>.</summary>
    private void StartThought(Tensor position)
    {
        EndThought();
        branch = Cache.Fork();
        origin = position.detach().DetachFromDisposeScope();
        spoken = 0;
    }

    private void EndThought()
    {
        branch?.Dispose();
        origin?.Dispose();
        thoughtIds?.Dispose();
        branch = null;
        origin = thoughtIds = null;
    }

    /// <summary>Each row's visible keys among the first <paramref name="keys"/> of the branch <c>[B|1, 1, 1, keys]</c>: real text keys and every branch slot.</summary>
    private Tensor Visible(long keys) =>
        (batch.KeyIsReal(keys) ?? torch.ones(1, keys, dtype: ScalarType.Bool, device: lm.Device)).unsqueeze(1).unsqueeze(1);

    /// <summary>
    /// START, T sampled tokens, END at positions t+1 … t+T+2 on the branch; keeps the thought ids and returns the hidden
    /// state after END. The last sampled token and END go in one call (END's input does not depend on it): T + 1 calls.
    /// The masks and rotary rows of all T + 2 slots are built once here; each call narrows them.
    /// </summary>
    private Tensor Think()
    {
        long text = branch!.Length, keys = text + thoughtTokens + 2;
        var visible = Visible(keys);                                                             // [B|1, 1, 1, S+T+2]
        var single = backbone.Mask(AttentionSpec.Explicit(visible), 1, keys - 1);               // [B, 1, g, S+T+2], null without padding
        var query = torch.arange(keys - 2, keys, dtype: ScalarType.Int64, device: lm.Device).unsqueeze(1); // [2, 1]
        var key = torch.arange(keys, dtype: ScalarType.Int64, device: lm.Device).unsqueeze(0);             // [1, S+T+2]
        var pair = backbone.Mask(AttentionSpec.Explicit(visible & (key <= query)), 2, keys - 2)!;          // [B|1, 1, g·2, S+T+2]: c_T, END
        var slots = torch.arange(1, thoughtTokens + 3, dtype: ScalarType.Int64, device: lm.Device).unsqueeze(0); // [1, T+2]
        var (cos, signedSin) = backbone.Rotary(origin! + slots);                                // [B, T+2, 1, D] ×2: t+1 … t+T+2
        var unsampled = torch.tensor(new long[] { model.StartThoughtId, model.EndThoughtId }, device: lm.Device);
        long rows = batch.Rows, hiddenSize = lm.Config.HiddenSize;

        // Slot j (0 = START, k = c_k, T + 1 = END) at position t + 1 + j sees the text and slots 0 … j.
        Tensor Slot(Tensor embeddings, int j) =>
            Feed(embeddings, cos.narrow(1, j, 1), signedSin.narrow(1, j, 1), single?.narrow(-1, 0, text + j + 1));

        var hidden = Slot(model.ThoughtEmbeddings.Start.expand(rows, 1, hiddenSize), 0);       // [B, H]
        var ids = new Tensor[thoughtTokens];
        using var unsampleable = GumbelSampler.Unsampleable.ToScalar();                        // held through each call (docs/build.md)
        for (int k = 0; k < thoughtTokens; k++)
        {
            var logits = Precision.AtLeastFloat32(lm.ComputeLogits(hidden)).index_fill_(-1, unsampled, unsampleable); // [B, V+2], −1e10 overflows Half
            ids[k] = chooseThought(logits, k);                                                  // [B]
            if (k < thoughtTokens - 1)
            {
                hidden = Slot(Embed(ids[k]), k + 1);                                            // [B, H] after c_{k+1}
            }
        }

        var last = torch.cat([Embed(ids[^1]), model.ThoughtEmbeddings.End.expand(rows, 1, hiddenSize)], dim: 1); // [B, 2, H]: c_T, END
        var end = Feed(last, cos.narrow(1, thoughtTokens, 2), signedSin.narrow(1, thoughtTokens, 2), pair); // [B, H]
        thoughtIds = torch.stack(ids, dim: 1).DetachFromDisposeScope();                         // [B, T]
        return end;
    }

    /// <summary>Embeds sampled ids <c>[B]</c> as <c>[B, 1, H]</c> (a row lookup: the ids come from the model's own vocabulary).</summary>
    private Tensor Embed(Tensor ids) => lm.EmbeddingWeight.index_select(0, ids).unsqueeze(1);

    /// <summary>
    /// Appends slots <c>[B, n, H]</c> per row to the branch with rotary rows <paramref name="cos"/>, <paramref name="signedSin"/>
    /// <c>[B, n, 1, D]</c> under the additive <paramref name="mask"/> over the branch keys and these slots, and returns the
    /// last slot's hidden state <c>[B, H]</c>.
    /// </summary>
    private Tensor Feed(Tensor embeddings, Tensor cos, Tensor signedSin, Tensor? mask) =>
        backbone.Forward(embeddings, cos, signedSin, mask, branch!).select(1, -1);

    /// <summary>Each row's ids of <paramref name="ids"/> <c>[B, T]</c>.</summary>
    private static int[][] PerRow(Tensor ids) =>
        ids.cpu().data<long>().Select(id => (int)id).Chunk((int)ids.shape[1]).ToArray();
}

/// <summary>What one quiet decoding step chose, and optionally the thoughts behind it.</summary>
/// <param name="Next">Each row's next token.</param>
/// <param name="ThoughtIds">Each row's sampled thought tokens (T each), when traced.</param>
/// <param name="Weights">Each row's mixing weight w, when traced.</param>
/// <param name="TalkStep">Which talk step of its thought the prediction was: 0 right after END, s after s spoken tokens.</param>
internal sealed record QuietStepResult(int[] Next, int[][]? ThoughtIds, float[]? Weights, int TalkStep);
