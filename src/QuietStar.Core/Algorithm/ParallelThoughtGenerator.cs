using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>
/// The reference's parallel thought generation (<c>MistralForCausalLM.forward</c>): one forward pass per thought
/// step over all L positions, thought step k at position t+k, each position attending to its causal prefix and to
/// its own earlier thought tokens only. Thought tokens are drawn by hard Gumbel sampling from the LM head with
/// START/END masked; no gradient flows through the sample, while the sampled tokens' embedding rows do get one.
/// It drives the model through the request alone (<see cref="ThoughtRequest.Step"/> and its inputs). Each step's logits
/// <c>[R, L, V]</c> go to <see cref="ThoughtRequest.ReportThoughtStep"/> and are released when the step ends, so only
/// what the autograd graph needs of them outlives it.
/// </summary>
/// <remarks>
/// <see cref="ThoughtSampling.Greedy"/> and <see cref="ThoughtSampling.Uniform"/> replace the sample and nothing else
/// (same schedule, positions, attention, log-probabilities and reports); they are controls for evaluation.
/// </remarks>
internal sealed class ParallelThoughtGenerator : IThoughtGenerator
{
    /// <summary>Creates the generator.</summary>
    /// <param name="sampling">How thought tokens are picked; the reference's <see cref="ThoughtSampling.Model"/> by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sampling"/> is not a defined value.</exception>
    public ParallelThoughtGenerator(ThoughtSampling sampling = ThoughtSampling.Model)
    {
        if (!Enum.IsDefined(sampling))
        {
            throw new ArgumentOutOfRangeException(nameof(sampling), sampling,
                $"Unknown thought sampling {sampling}. Use {string.Join(", ", Enum.GetNames<ThoughtSampling>())}.");
        }

        Sampling = sampling;
    }

    /// <summary>How thought tokens are picked.</summary>
    public ThoughtSampling Sampling { get; }

    /// <inheritdoc />
    public ThoughtRollout Generate(ThoughtRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options;
        var thoughtHidden = new List<Tensor>(options.ThoughtTokens);
        var ids = new List<Tensor>(options.ThoughtTokens);
        var logProbs = new List<Tensor>(options.ThoughtTokens);

        var hidden = request.Step(request.StartEmbedding());                                     // [R, L, H] after START
        for (int k = 1; k <= options.ThoughtTokens; k++)
        {
            thoughtHidden.Add(hidden);
            var (token, logProb) = Sample(request, options, hidden, k, Sampling);                 // [R, L], [R, L]
            ids.Add(token);
            logProbs.Add(logProb);
            hidden = request.Step(request.Embed(token));                                         // [R, L, H] after c_k
        }

        var talkHidden = new List<Tensor>(options.TalkTokens) { request.Step(request.EndEmbedding()) };
        for (int s = 1; s < options.TalkTokens; s++)
        {
            talkHidden.Add(request.Step(request.Embed(request.TalkInputIds(s))));                     // after x_{t+s}
        }

        return new ThoughtRollout(
            torch.stack(ids, dim: -1),       // [R, L, T]
            torch.stack(logProbs, dim: -1),  // [R, L, T]
            thoughtHidden,
            talkHidden);
    }

    /// <summary>
    /// Samples thought token <paramref name="step"/> from the hidden states before it and reports its logits to the
    /// request. Everything of size <c>[R, L, V]</c> made here (logits, Gumbel noise, scaled log-probs) is disposed when
    /// the step ends; the autograd graph keeps only what backward needs (the log-softmax output, and not even that when
    /// <see cref="ThoughtRequest.LogProbGradients"/> is off).
    /// </summary>
    /// <returns>The sampled ids <c>[R, L]</c> (int64) and their log-probabilities at the REINFORCE temperature <c>[R, L]</c>.</returns>
    private static (Tensor Token, Tensor LogProb) Sample(ThoughtRequest request, QuietStarOptions options, Tensor hidden, int step, ThoughtSampling sampling)
    {
        using var scope = torch.NewDisposeScope();
        var logits = request.Logits(hidden);                                                      // [R, L, V], START/END at −1e10
        var token = sampling switch
        {
            ThoughtSampling.Greedy => logits.detach().argmax(-1),                                   // [R, L]
            ThoughtSampling.Uniform => GumbelSampler.Sample(                                       // [R, L]: Gumbel-max of equal logits
                torch.zeros_like(logits, dtype: ScalarType.Float32).index_fill(-1, request.UnsampledIndex, GumbelSampler.Unsampleable),
                GumbelSampler.Noise(logits, request.Generator), 1.0),
            _ => GumbelSampler.Sample(logits, GumbelSampler.Noise(logits, request.Generator), options.GumbelTemperature), // [R, L]
        };
        Tensor logProb;
        using (request.LogProbGradients ? null : torch.no_grad())
        {
            var scaled = (logits / options.ReinforceTemperature).log_softmax(-1);                 // [R, L, V]
            logProb = scaled.gather(-1, token.unsqueeze(-1)).squeeze(-1);                          // [R, L]
        }

        request.ReportThoughtStep(step, logits);
        return scope.MoveToOuter(token, logProb);
    }
}
