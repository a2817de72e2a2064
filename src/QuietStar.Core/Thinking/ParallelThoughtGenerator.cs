using QuietStar.Core.Configuration;
using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Thinking;

/// <summary>
/// The reference's parallel thought generation (<c>MistralForCausalLM.forward</c>): one forward pass per thought
/// step over all L positions, thought step k at position t+k, each position attending to its causal prefix and to
/// its own earlier thought tokens only. Thought tokens are drawn by hard Gumbel sampling from the LM head with
/// START/END masked; no gradient flows through the sample, while the sampled tokens' embedding rows do get one.
/// </summary>
public sealed class ParallelThoughtGenerator : IThoughtGenerator
{
    private const double Unsampleable = -1e10;

    /// <inheritdoc />
    public ThoughtRollout Generate(ThoughtRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options;
        var model = request.Model;
        long rows = request.InputIds.shape[0], length = request.InputIds.shape[1];
        long hiddenSize = model.Config.HiddenSize;
        var steps = new StepRunner(request, length);
        var unsampled = torch.tensor(request.UnsampledTokenIds.Select(i => (long)i).ToArray(), device: model.Device);

        var thoughtHidden = new List<Tensor>(options.ThoughtTokens);
        var ids = new List<Tensor>(options.ThoughtTokens);
        var logProbs = new List<Tensor>(options.ThoughtTokens);
        var thoughtLogits = new List<Tensor>(options.ThoughtTokens);

        var hidden = steps.Run(request.Embeddings.Start.expand(rows, length, hiddenSize));          // [R, L, H] after START
        for (int k = 1; k <= options.ThoughtTokens; k++)
        {
            thoughtHidden.Add(hidden);
            var logits = model.ComputeLogits(hidden).index_fill(-1, unsampled, Unsampleable);    // [R, L, V]
            var token = GumbelSampler.Sample(logits, GumbelSampler.Noise(logits, request.Generator), options.GumbelTemperature); // [R, L]
            var scaled = (logits / options.ReinforceTemperature).log_softmax(-1);               // [R, L, V]
            logProbs.Add(scaled.gather(-1, token.unsqueeze(-1)).squeeze(-1));                    // [R, L]
            ids.Add(token);
            thoughtLogits.Add(logits);
            hidden = steps.Run(model.Embed(token));                                             // [R, L, H] after c_k
        }

        var talkHidden = new List<Tensor>(options.TalkTokens) { steps.Run(request.Embeddings.End.expand(rows, length, hiddenSize)) };
        for (int s = 1; s < options.TalkTokens; s++)
        {
            talkHidden.Add(steps.Run(model.Embed(ShiftLeft(request.InputIds, s, request.PadTokenId)))); // after x_{t+s}
        }

        return new ThoughtRollout(
            torch.stack(ids, dim: -1),       // [R, L, T]
            torch.stack(logProbs, dim: -1),  // [R, L, T]
            thoughtLogits,
            thoughtHidden,
            talkHidden);
    }

    /// <summary>ids[:, s:] padded on the right with <paramref name="pad"/>: the true token s ahead of each position.</summary>
    private static Tensor ShiftLeft(Tensor ids, int s, int pad)
    {
        long rows = ids.shape[0], length = ids.shape[1];
        if (s >= length)
        {
            return torch.full(rows, length, pad, dtype: ScalarType.Int64, device: ids.device);
        }

        var padding = torch.full(rows, s, pad, dtype: ScalarType.Int64, device: ids.device);
        return torch.cat([ids.narrow(1, s, length - s), padding], dim: 1);                        // [R, L]
    }

    /// <summary>Runs thought steps 1, 2, … with positions t+k and the configured attention strategy.</summary>
    private sealed class StepRunner(ThoughtRequest request, long length)
    {
        private readonly bool masked = request.Options.Attention == ThoughtAttention.Masked;
        private readonly Tensor ownKey = torch.eye(length, dtype: ScalarType.Bool, device: request.Model.Device)
            .unsqueeze(0).unsqueeze(0).expand(request.PrefixMask.shape[0], 1, length, length);  // [R|1, 1, L, L]
        private Tensor mask = request.PrefixMask;
        private int step;

        public Tensor Run(Tensor embeddings)
        {
            step++;
            AttentionSpec spec;
            if (masked)
            {
                mask = torch.cat([mask, ownKey], dim: -1);                                        // [R|1, 1, L, (k+1)L]
                spec = AttentionSpec.Explicit(mask);
            }
            else
            {
                spec = AttentionSpec.Branches(request.PrefixMask);
            }

            return request.Model.call(new ModelInput
            {
                InputEmbeddings = embeddings,
                PositionIds = request.PositionIds + step,
                Attention = spec,
                Cache = request.Cache,
                ComputeLogits = false,
            }).Hidden;
        }
    }
}
