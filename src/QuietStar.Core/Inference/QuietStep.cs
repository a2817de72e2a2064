using QuietStar.Core.Model;
using QuietStar.Core.Thinking;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Inference;

/// <summary>
/// One batch's quiet decoding: the main cache and the step that thinks before each token. A step feeds the new tokens
/// (the base step, giving h_base), then on top of the newest one feeds START, T thought tokens and END at positions
/// t+1 … t+T+2, mixes as in training and chooses the next token; then it truncates the cache back to the text, so later
/// tokens never attend to earlier thoughts, exactly as in the parallel training pass.
/// </summary>
/// <remarks>
/// Thought slots are appended to the sequential cache and attend to every real text key and to their own earlier slots,
/// which is what either of training's thought-attention strategies computes for one position. With a single query per
/// row the diagonal (branch-block) form saves nothing and costs more operations per layer (docs/performance.md).
/// </remarks>
internal sealed class QuietStep : IDisposable
{
    private const double Unsampleable = -1e10;

    private readonly QuietStarModel model;
    private readonly CausalLanguageModel lm;
    private readonly int thoughtTokens;
    private readonly int vocabulary;
    private readonly LeftPaddedBatch batch;
    private readonly ThoughtTokenChoice chooseThought;

    /// <summary>Creates the step for <paramref name="batch"/> with an empty cache.</summary>
    /// <param name="model">The Quiet-STaR model.</param>
    /// <param name="thoughtTokens">Sampled tokens per thought, T.</param>
    /// <param name="vocabulary">Next-token ids are chosen below this (the base vocabulary the tokenizer knows).</param>
    /// <param name="batch">The left-padded prompts.</param>
    /// <param name="chooseThought">How thought tokens are chosen (training's Gumbel sampling, or forced in tests).</param>
    public QuietStep(QuietStarModel model, int thoughtTokens, int vocabulary, LeftPaddedBatch batch, ThoughtTokenChoice chooseThought)
    {
        this.model = model;
        lm = model.LanguageModel;
        this.thoughtTokens = thoughtTokens;
        this.vocabulary = vocabulary;
        this.batch = batch;
        this.chooseThought = chooseThought;
        Cache = new KeyValueCache(lm.Config.NumLayers);
    }

    /// <summary>The main cache: after every step it holds the text fed so far and nothing of the thoughts.</summary>
    public KeyValueCache Cache { get; }

    /// <summary>Feeds new tokens, thinks after the newest one of each row and chooses each row's next token.</summary>
    /// <param name="ids">The new tokens, row-major <c>[B × L]</c> (0 at padding).</param>
    /// <param name="chooseNext">Chooses each row's token from the mixed next-token logits <c>[B, V]</c> (V = the text vocabulary).</param>
    /// <param name="trace">Whether to return each row's thought and mixing weight.</param>
    public QuietStepResult Run(long[] ids, Func<Tensor, int[]> chooseNext, bool trace)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = batch.Input(ids, Cache);
        var baseHidden = lm.forward(input).Hidden.select(1, -1);                                 // [B, H]
        var position = input.PositionIds!.narrow(1, -1, 1);                                      // [B, 1]: t of each row's newest token
        int text = Cache.Length;
        Tensor thoughtIds, endHidden;
        try
        {
            (thoughtIds, endHidden) = Think(position, text);                                     // [B, T], [B, H]
        }
        finally
        {
            Cache.Truncate(text);
        }

        var (mixed, w) = ThoughtMixing.Mix(model, model.Options.MixingSpace, baseHidden, () => lm.ComputeLogits(baseHidden), endHidden); // [B, V+2], [B, 1]
        int[] next = chooseNext(mixed.narrow(-1, 0, vocabulary));                                 // thought ids and unknown ids excluded
        return trace
            ? new QuietStepResult(next, PerRow(thoughtIds), w.squeeze(-1).to_type(ScalarType.Float32).cpu().data<float>().ToArray())
            : new QuietStepResult(next, null, null);
    }

    /// <inheritdoc />
    public void Dispose() => Cache.Dispose();

    /// <summary>
    /// START, T sampled tokens, END at positions t+1 … t+T+2; returns the thought ids and the hidden state after END.
    /// The last sampled token and END go in one call (END's input does not depend on it): T + 1 calls after the base step.
    /// </summary>
    private (Tensor Ids, Tensor EndHidden) Think(Tensor position, int text)
    {
        int keys = text + thoughtTokens + 2;
        var visible = (batch.KeyIsReal(keys) ?? torch.ones(1, keys, dtype: ScalarType.Bool, device: lm.Device))
            .unsqueeze(1).unsqueeze(1);                                                         // [B|1, 1, 1, S+T+2]: real text keys and every thought slot
        var unsampled = torch.tensor(new long[] { model.StartThoughtId, model.EndThoughtId }, device: lm.Device);
        long rows = batch.Rows, hiddenSize = lm.Config.HiddenSize;
        var hidden = Feed(model.ThoughtEmbeddings.Start.expand(rows, 1, hiddenSize), position + 1, visible); // [B, H]
        var ids = new Tensor[thoughtTokens];
        for (int k = 0; k < thoughtTokens; k++)
        {
            var logits = lm.ComputeLogits(hidden).index_fill(-1, unsampled, Unsampleable);      // [B, V+2]
            ids[k] = chooseThought(logits, k);                                                  // [B]
            if (k < thoughtTokens - 1)
            {
                hidden = Feed(Embed(ids[k]), position + (k + 2), visible);                     // [B, H] after c_{k+1}
            }
        }

        var last = torch.cat([Embed(ids[^1]), model.ThoughtEmbeddings.End.expand(rows, 1, hiddenSize)], dim: 1); // [B, 2, H]: c_T, END
        var end = Feed(last, torch.cat([position + (thoughtTokens + 1), position + (thoughtTokens + 2)], dim: 1), visible); // [B, H]
        return (torch.stack(ids, dim: 1), end);                                                 // [B, T]
    }

    /// <summary>Embeds sampled ids <c>[B]</c> as <c>[B, 1, H]</c> (a row lookup: the ids come from the model's own vocabulary).</summary>
    private Tensor Embed(Tensor ids) => lm.EmbeddingWeight.index_select(0, ids).unsqueeze(1);

    /// <summary>
    /// Appends thought slots <c>[B, n, H]</c> per row at <paramref name="positions"/> <c>[B, n]</c>, each attending to the
    /// cached keys <paramref name="visible"/> allows and to the slots before it, and returns the last slot's hidden state <c>[B, H]</c>.
    /// </summary>
    private Tensor Feed(Tensor embeddings, Tensor positions, Tensor visible)
    {
        long slots = embeddings.shape[1], keys = Cache.Length + slots;
        var mask = visible.narrow(-1, 0, keys);                                                 // [B|1, 1, 1, S+k+n]
        if (slots > 1)
        {
            var query = torch.arange(keys - slots, keys, dtype: ScalarType.Int64, device: lm.Device).unsqueeze(1); // [n, 1]
            var key = torch.arange(keys, dtype: ScalarType.Int64, device: lm.Device).unsqueeze(0);                  // [1, S+k+n]
            mask = mask & (key <= query);                                                       // [B|1, 1, n, S+k+n]
        }

        return lm.forward(new ModelInput
        {
            InputEmbeddings = embeddings,
            PositionIds = positions,
            Attention = AttentionSpec.Explicit(mask),
            Cache = Cache,
            ComputeLogits = false,
        }).Hidden.select(1, -1);
    }

    /// <summary>Each row's ids of <paramref name="ids"/> <c>[B, T]</c>.</summary>
    private static int[][] PerRow(Tensor ids) =>
        ids.cpu().data<long>().Select(id => (int)id).Chunk((int)ids.shape[1]).ToArray();
}
