using System.Text.Json.Serialization;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Common;
using QuietStar.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Training;

/// <summary>How <see cref="ValidationEvaluator"/> scores held-out text.</summary>
internal sealed record ValidationOptions
{
    /// <summary>Tokens per sequence; each validation document is cut to its first L tokens or padded. Default 256.</summary>
    public int SequenceLength { get; init; } = 256;

    /// <summary>Sequences per batch. Default 4.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Batches scored at most (the first BatchSize × Batches documents). Default 4.</summary>
    public int Batches { get; init; } = 4;

    /// <summary>Seed of the thought samples. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Whether to think: false scores the base model only (talk = base, mixing weight 0). Default true.</summary>
    public bool WithThoughts { get; init; } = true;

    /// <summary>Fraction of tokens, hardest by base NLL, that the "hard" averages cover. Default 0.1.</summary>
    public double HardTokenFraction { get; init; } = 0.1;

    /// <summary>Checks every option; the exception names the option.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        OptionCheck.Require<ValidationOptions>(SequenceLength >= 2, nameof(SequenceLength), $"must be at least 2 tokens (got {SequenceLength}).");
        OptionCheck.Require<ValidationOptions>(BatchSize >= 1, nameof(BatchSize), $"must be at least 1 (got {BatchSize}).");
        OptionCheck.Require<ValidationOptions>(Batches >= 1, nameof(Batches), $"must be at least 1 (got {Batches}).");
        OptionCheck.Require<ValidationOptions>(HardTokenFraction is > 0 and <= 1, nameof(HardTokenFraction), $"must be in (0, 1] (got {HardTokenFraction}).");
    }
}

/// <summary>
/// Scores a model on held-out documents as the reference's in-training evaluation does: thoughts at every position
/// with one pass and one talk token (P = 1, M = 1), comparing the post-thought (talk) NLL with the base NLL of the
/// same next tokens. Deterministic for a seed.
/// </summary>
internal static class ValidationEvaluator
{
    /// <summary>Scores the first <c>BatchSize × Batches</c> documents of <paramref name="corpus"/>, each from its start.</summary>
    /// <param name="model">The model (its parameters are not changed; no gradients are kept).</param>
    /// <param name="corpus">Held-out documents, e.g. <see cref="CorpusSplit.Validation"/>.</param>
    /// <param name="options">Sequence length, batches, seed, thoughts on or off.</param>
    /// <exception cref="ArgumentException">The corpus is empty, an option is invalid, or the sequence plus thought does not fit the context.</exception>
    public static ValidationMetrics Evaluate(QuietStarModel model, TextCorpus corpus, ValidationOptions options) =>
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
    public static ValidationMetrics Evaluate(QuietStarModel model, TextCorpus corpus, ValidationOptions options, QuietStarComponents? components)
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
            .CreateObjective(model, model.Options.ForEvaluation());
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

    private static ValidationMetrics Summarise(List<(double Base, double Talk, double Weight)> scores, double hardFraction)
    {
        if (scores.Count == 0)
        {
            throw new ArgumentException("The validation documents hold no scorable tokens (every document is a single token).");
        }

        var hard = HardTokens.Hardest([.. scores.Select(s => s.Base)], hardFraction).Select(i => scores[i]).ToList();
        return new ValidationMetrics
        {
            BaseNll = scores.Average(s => s.Base),
            TalkNll = scores.Average(s => s.Talk),
            HardBaseNll = hard.Average(s => s.Base),
            HardTalkNll = hard.Average(s => s.Talk),
            MeanMixingWeight = scores.Average(s => s.Weight),
            Tokens = scores.Count,
            HardTokens = hard.Count,
        };
    }
}

/// <summary>
/// Next-token NLLs (nats) on held-out text, with and without thoughts, as the paper's §5.2 compares them: overall and
/// on the hardest tokens by base NLL, where the paper finds the gain of thinking concentrated.
/// </summary>
public sealed record ValidationMetrics
{
    /// <summary>Mean base NLL over all scored tokens.</summary>
    [JsonPropertyName("base_nll")]
    public required double BaseNll { get; init; }

    /// <summary>Mean talk NLL (mixed prediction after a thought) over the same tokens.</summary>
    [JsonPropertyName("talk_nll")]
    public required double TalkNll { get; init; }

    /// <summary>Mean base NLL over the hardest tokens (by base NLL).</summary>
    [JsonPropertyName("hard_base_nll")]
    public required double HardBaseNll { get; init; }

    /// <summary>Mean talk NLL over the same hardest tokens.</summary>
    [JsonPropertyName("hard_talk_nll")]
    public required double HardTalkNll { get; init; }

    /// <summary>Mean mixing weight w over the scored tokens (0 without thoughts).</summary>
    [JsonPropertyName("mean_mixing_weight")]
    public required double MeanMixingWeight { get; init; }

    /// <summary>Tokens scored.</summary>
    [JsonPropertyName("tokens")]
    public required long Tokens { get; init; }

    /// <summary>Tokens in the hard subset.</summary>
    [JsonPropertyName("hard_tokens")]
    public required long HardTokens { get; init; }

    /// <summary><see cref="TalkNll"/> − <see cref="BaseNll"/>; negative when thinking helps.</summary>
    [JsonPropertyName("talk_minus_base")]
    public double TalkMinusBase => TalkNll - BaseNll;

    /// <summary><see cref="HardTalkNll"/> − <see cref="HardBaseNll"/>.</summary>
    [JsonPropertyName("hard_talk_minus_base")]
    public double HardTalkMinusBase => HardTalkNll - HardBaseNll;
}
