using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Inference;

/// <summary>Chooses the next token of every row from its logits: argmax, or temperature + top-p sampling with a seeded generator.</summary>
internal static class TokenSampler
{
    /// <summary>The next token of each row.</summary>
    /// <param name="logits">Next-token logits <c>[B, V]</c>.</param>
    /// <param name="options">Greedy, or temperature and top-p.</param>
    /// <param name="generator">The random source (on the logits' device); unused when greedy.</param>
    /// <returns>B token ids.</returns>
    public static int[] Choose(Tensor logits, GenerationOptions options, Generator? generator)
    {
        using var scope = torch.NewDisposeScope();
        var chosen = options.Greedy ? logits.argmax(-1) : Sample(logits, options, generator!); // [B]
        return chosen.cpu().data<long>().Select(id => (int)id).ToArray();
    }

    private static Tensor Sample(Tensor logits, GenerationOptions options, Generator generator)
    {
        // The numbers as Scalars held through the calls: TorchSharp's temporaries can be freed mid-call (docs/build.md).
        using var temperature = options.Temperature.ToScalar();
        using var topP = options.TopP.ToScalar();
        using var zero = 0.0.ToScalar();
        var probs = (Precision.AtLeastFloat32(logits) / temperature).softmax(-1);           // [B, V]
        var (sorted, order) = probs.sort(-1, descending: true);                             // [B, V] each
        var massBefore = sorted.cumsum(-1) - sorted;                                        // [B, V]
        var nucleus = sorted.masked_fill(massBefore > topP, zero);                          // [B, V]: the top token always stays
        var pick = nucleus.multinomial(1, generator: generator);                            // [B, 1] index into the sorted order
        return order.gather(-1, pick).squeeze(-1);                                          // [B]
    }
}
