using QuietStar.Core.Data;
using QuietStar.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Evaluation;

/// <summary>
/// Scores a model on held-out documents as the reference's in-training evaluation does: thoughts at every position
/// with one pass and one talk token (P = 1, M = 1), comparing the post-thought (talk) NLL with the base NLL of the
/// same next tokens. Deterministic for a seed.
/// </summary>
public static class ValidationEvaluator
{
    /// <summary>Scores the first <c>BatchSize × Batches</c> documents of <paramref name="corpus"/>, each from its start.</summary>
    /// <param name="model">The model (its parameters are not changed; no gradients are kept).</param>
    /// <param name="corpus">Held-out documents, e.g. <see cref="CorpusSplit.Validation"/>.</param>
    /// <param name="options">Sequence length, batches, seed, thoughts on or off.</param>
    /// <exception cref="ArgumentException">The corpus is empty, an option is invalid, or the sequence plus thought does not fit the context.</exception>
    public static ValidationResult Evaluate(QuietStarModel model, TextCorpus corpus, ValidationOptions options) =>
        Evaluate(model, corpus, options, components: null);

    /// <summary>
    /// Scores the first <c>BatchSize × Batches</c> documents of <paramref name="corpus"/> with custom objective parts
    /// (the thought generator, teacher-forcing loss and reward estimator a pipeline or trainer was given).
    /// </summary>
    /// <param name="model">The model (its parameters are not changed; no gradients are kept).</param>
    /// <param name="corpus">Held-out documents, e.g. <see cref="CorpusSplit.Validation"/>.</param>
    /// <param name="options">Sequence length, batches, seed, thoughts on or off.</param>
    /// <param name="components">The objective's parts; the reference implementations when null.</param>
    /// <exception cref="ArgumentException">The corpus is empty, an option is invalid, or the sequence plus thought does not fit the context.</exception>
    public static ValidationResult Evaluate(QuietStarModel model, TextCorpus corpus, ValidationOptions options, QuietStarComponents? components)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (corpus.DocumentCount == 0)
        {
            throw new ArgumentException($"There are no validation documents in {corpus.Description}; set a positive validation fraction.", nameof(corpus));
        }

        var objective = (components ?? QuietStarComponents.Reference)
            .CreateObjective(model, model.Options with { Passes = 1, TalkTokens = 1, MeanBaseline = false });
        using var generator = new Generator((ulong)options.Seed, model.LanguageModel.Device);
        var scores = new List<(double Base, double Talk, double Weight)>();
        int documents = (int)Math.Min(corpus.DocumentCount, (long)options.BatchSize * options.Batches);
        for (int start = 0; start < documents; start += options.BatchSize)
        {
            var windows = Enumerable.Range(start, Math.Min(options.BatchSize, documents - start))
                .Select(i => FirstTokens(corpus, i, options.SequenceLength))
                .ToList();
            using var scope = torch.NewDisposeScope();
            var batch = SequenceBatch.Create(windows, options.SequenceLength, corpus.PadTokenId, model.LanguageModel.Device);
            scores.AddRange(ScoreBatch(model, objective, batch, generator, options.WithThoughts));
        }

        return Summarise(scores, options.HardTokenFraction);
    }

    private static int[] FirstTokens(TextCorpus corpus, int document, int length)
    {
        var tokens = corpus.GetDocument(document);
        return tokens[..Math.Min(length, tokens.Length)].ToArray();
    }

    /// <summary>(base NLL, talk NLL, mixing weight) of every real target of the batch.</summary>
    private static IEnumerable<(double Base, double Talk, double Weight)> ScoreBatch(QuietStarModel model, QuietStarObjective objective,
        SequenceBatch batch, Generator generator, bool withThoughts)
    {
        using var noGrad = torch.no_grad();
        Tensor baseNll, talkNll, weight;                                                     // each [B, L−1]
        if (withThoughts)
        {
            var result = objective.Compute(batch.InputIds, batch.IsReal, generator);
            baseNll = result.LanguageModeling.BaseNll;
            talkNll = result.LanguageModeling.TalkNll[0];
            weight = result.MixingWeights[0].squeeze(-1).narrow(1, 0, baseNll.shape[1]);
        }
        else
        {
            baseNll = NextTokenLoss.TokenNll(model.LanguageModel, batch.InputIds, batch.IsReal);
            talkNll = baseNll;
            weight = torch.zeros_like(baseNll);
        }

        var real = batch.IsReal.narrow(1, 1, baseNll.shape[1]);                            // [B, L−1]: the target is real
        double[] b = Values(baseNll.masked_select(real)), t = Values(talkNll.masked_select(real)), w = Values(weight.masked_select(real));
        return Enumerable.Range(0, b.Length).Select(i => (b[i], t[i], w[i])).ToList();
    }

    private static double[] Values(Tensor t) => t.to_type(ScalarType.Float64).cpu().data<double>().ToArray();

    private static ValidationResult Summarise(List<(double Base, double Talk, double Weight)> scores, double hardFraction)
    {
        if (scores.Count == 0)
        {
            throw new ArgumentException("The validation documents hold no scorable tokens (every document is a single token).");
        }

        int hardCount = Math.Max(1, (int)Math.Ceiling(hardFraction * scores.Count));
        var hard = scores.OrderByDescending(s => s.Base).Take(hardCount).ToList();
        return new ValidationResult
        {
            BaseNll = scores.Average(s => s.Base),
            TalkNll = scores.Average(s => s.Talk),
            HardBaseNll = hard.Average(s => s.Base),
            HardTalkNll = hard.Average(s => s.Talk),
            MeanMixingWeight = scores.Average(s => s.Weight),
            Tokens = scores.Count,
            HardTokens = hardCount,
        };
    }
}
