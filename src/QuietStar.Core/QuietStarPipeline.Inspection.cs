using QuietStar.Core.Algorithm;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Inference;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core;

public sealed partial class QuietStarPipeline
{
    /// <summary>
    /// Runs <paramref name="text"/> through the model with one thought at every position, as evaluation does (the
    /// prediction right after END), and returns each predicted token with the thought before it, the mixing weight and
    /// its NLL with and without the thought: the per-token picture of what thinking changes. Serialised with the other
    /// requests and computed on a dedicated thread, as <see cref="GenerateAsync(string, GenerationOptions?, ThoughtOptions?, CancellationToken)"/>.
    /// </summary>
    /// <param name="text">The text to inspect (its first token is not predicted).</param>
    /// <param name="seed">Seed of the thought sampler: the same seed gives the same thoughts.</param>
    /// <param name="cancellationToken">Observed while the request waits for its turn.</param>
    /// <returns>One entry per token after the first, in order.</returns>
    /// <exception cref="ArgumentException">The text has fewer than 3 tokens, or more than the context leaves for a thought after the last one; thrown by this call.</exception>
    /// <exception cref="ObjectDisposedException">The pipeline is disposed.</exception>
    public Task<IReadOnlyList<TokenInspection>> InspectAsync(string text, long seed = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        int[] ids = Tokenizer.Encode(text, addBos: Tokenizer.BosId is not null);
        int longest = ScoringPass.For(Model).MaxInputLength(withThoughts: true);
        if (ids.Length < 3 || ids.Length > longest)
        {
            throw new ArgumentException(
                $"The text has {ids.Length} tokens; inspecting needs 3 to {longest} (the context of {Model.LanguageModel.Config.MaxPositionEmbeddings} " +
                "less the START, thought and END positions after the last token).", nameof(text));
        }

        return RunInspection(ids, seed, cancellationToken);
    }

    private async Task<IReadOnlyList<TokenInspection>> RunInspection(int[] ids, long seed, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Factory.StartNew(() => Inspect(ids, seed), cancellationToken,
                TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            generationGate.Release();
        }
    }

    /// <summary>One evaluation-style pass: P = 1, one talk step, no policy loss; runs on the request's own thread.</summary>
    private List<TokenInspection> Inspect(int[] ids, long seed)
    {
        int thoughtTokens = Model.Options.ThoughtTokens;
        var options = Model.Options.ForEvaluation();
        // A view over the same modules with the evaluation options (not disposed: it owns nothing of its own).
        var evaluated = QuietStarModel.Restore(Model.LanguageModel, Model.ThoughtEmbeddings, Model.MixingHead, options, Model.StartThoughtId, Model.EndThoughtId);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var generator = new Generator(unchecked((ulong)seed), Device);
        var input = torch.tensor(ids.Select(id => (long)id).ToArray(), [1, ids.Length], device: Device);   // [1, L]
        var result = components.CreateObjective(evaluated).Compute(input, null, generator);
        int vocabulary = Math.Min(Model.BaseVocabularySize, Tokenizer.VocabularySize);
        float[] baseNll = Nll(result.BaseLogits[0], input[0], vocabulary);                                  // L−1
        float[] talkNll = Nll(result.TalkLogits[0][0], input[0], vocabulary);                               // L−1
        float[] weights = result.MixingWeights[0][0].squeeze(-1).to_type(ScalarType.Float32).cpu().data<float>().ToArray(); // L
        long[] thoughts = result.Rollout.ThoughtIds[0].cpu().data<long>().ToArray();                        // L × T, row-major
        var decoder = Tokenizer.CreateStreamDecoder();
        string[] pieces = ids.Select(id => decoder.Append(id)).ToArray();
        return Enumerable.Range(0, ids.Length - 1).Select(t => new TokenInspection(
            t + 1,
            pieces[t + 1],
            DecodeThought(thoughts.Skip(t * thoughtTokens).Take(thoughtTokens)),
            weights[t],
            baseNll[t],
            talkNll[t])).ToList();
    }

    /// <summary>−log softmax over the text vocabulary at t, of token t+1: <c>[L, V]</c> logits → L − 1 values.</summary>
    private static float[] Nll(Tensor logits, Tensor ids, int vocabulary)
    {
        long length = ids.shape[0];
        var logp = logits.narrow(0, 0, length - 1).narrow(-1, 0, vocabulary).to_type(ScalarType.Float32).log_softmax(-1);   // [L−1, V]
        return (-logp.gather(-1, ids.narrow(0, 1, length - 1).unsqueeze(-1)).squeeze(-1)).cpu().data<float>().ToArray();    // [L−1]
    }

    private string DecodeThought(IEnumerable<long> thought)
    {
        int[] ids = thought.Select(id => (int)id).ToArray();
        return ids.All(id => id < Tokenizer.VocabularySize)
            ? Tokenizer.Decode(ids)
            : string.Concat(ids.Select(id => id < Tokenizer.VocabularySize ? Tokenizer.Decode([id]) : $"<{id}>"));
    }
}
