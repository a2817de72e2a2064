using System.Text.Json.Serialization;
using QuietStar.Core.Common;
using QuietStar.Core.Data;
using QuietStar.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Evaluation;

/// <summary>
/// Per-token NLL of a text in the crops a model trains on: the tokenised text is cut into non-overlapping windows of
/// <see cref="TextNllOptions.SequenceLength"/> tokens, each BOS followed by the next L − 1 text tokens, so every text
/// token is predicted once from the window's earlier tokens. Reports the base NLL and, with thoughts, the NLL of the
/// prediction made after a thought at every position, overall and on the hardest tokens (paper §5.2: the gain of
/// thinking concentrates on hard tokens). Probabilities are over the base vocabulary (START/END excluded).
/// Thoughts are sampled from a generator seeded with <see cref="TextNllOptions.Seed"/>.
/// </summary>
internal sealed class TextNllEvaluator
{
    private readonly ScoringPass forward;
    private readonly TextTokenizer tokenizer;

    /// <summary>Creates an evaluator of the model behind <paramref name="forward"/>, whose text <paramref name="tokenizer"/> writes.</summary>
    public TextNllEvaluator(ScoringPass forward, TextTokenizer tokenizer)
    {
        this.forward = forward ?? throw new ArgumentNullException(nameof(forward));
        this.tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
    }

    /// <summary>Evaluates the UTF-8 text file <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or holds only whitespace.</exception>
    public TextNllResult EvaluateFile(string path, TextNllOptions options, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Text file not found: '{path}'.", path);
        }

        string text = File.ReadAllText(path);
        return string.IsNullOrWhiteSpace(text)
            ? throw new InvalidDataException($"'{path}' is empty: there is no text to evaluate.")
            : Evaluate(text, options, progress, cancellationToken);
    }

    /// <summary>Evaluates <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">The text is empty, an option is invalid, or the window exceeds the model's context.</exception>
    /// <exception cref="InvalidOperationException">Thoughts were asked of a model that cannot think, or the tokenizer has no BOS.</exception>
    public TextNllResult Evaluate(string text, TextNllOptions options, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        forward.Require(options.Thoughts, options.SequenceLength);
        int bos = tokenizer.BosId ?? throw new InvalidOperationException("Text NLL windows start with BOS, but this tokenizer has none.");
        int[] tokens = tokenizer.Encode(text);
        tokens = tokens[..Math.Min(tokens.Length, options.Limit ?? int.MaxValue)];
        if (tokens.Length == 0)
        {
            throw new ArgumentException("The text is empty: there are no tokens to evaluate.", nameof(text));
        }

        var windows = TextWindows.Split(tokens, bos, options.SequenceLength);
        var scores = new TokenScores(options.Thoughts, tokens.Length);
        using var generator = new Generator(unchecked((ulong)options.Seed), forward.Device);
        for (int start = 0; start < windows.Count; start += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = windows.GetRange(start, Math.Min(options.BatchSize, windows.Count - start));
            ScoreBatch(batch, options.Thoughts, generator, scores);
            progress?.Report(new EvaluationProgress(start + batch.Count, windows.Count));
        }

        return Summarise(scores, options);
    }

    /// <summary>Scores one batch of windows and appends each real target's values to <paramref name="scores"/>.</summary>
    private void ScoreBatch(List<int[]> batch, bool thoughts, Generator generator, TokenScores scores)
    {
        using var scope = torch.NewDisposeScope();
        var tokens = SequenceBatch.Pad(batch, forward.PadTokenId, forward.Device, minLength: 3);
        var prediction = forward.Run(tokens, thoughts, generator);
        long targets = tokens.InputIds.shape[1] - 1;
        var labels = tokens.InputIds.narrow(1, 1, targets);                                                 // [B, L−1]
        double[] baseNll = Nll(prediction.BaseLogits, labels);
        double[]? talkNll = prediction.TalkLogits is { } talk ? Nll(talk, labels) : null;
        double[]? weights = prediction.MixingWeights is { } w ? ToDoubles(w.narrow(1, 0, targets)) : null;
        for (int b = 0; b < batch.Count; b++)
        {
            for (int t = 0; t < batch[b].Length - 1; t++)
            {
                int i = b * (int)targets + t;
                scores.Add(baseNll[i], talkNll?[i], weights?[i]);
            }
        }
    }

    /// <summary>−log p(label) at every position, flattened row-major from <c>[B, L−1]</c>.</summary>
    private static double[] Nll(Tensor logits, Tensor labels)
    {
        var scored = logits.narrow(1, 0, labels.shape[1]).to_type(ScalarType.Float64);               // [B, L−1, V]
        var logp = scored.log_softmax(-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1);               // [B, L−1]
        return ToDoubles(logp.neg());
    }

    private static double[] ToDoubles(Tensor values) =>
        values.to_type(ScalarType.Float64).contiguous().cpu().data<double>().ToArray();

    private TextNllResult Summarise(TokenScores scores, TextNllOptions options)
    {
        int[] hard = HardTokens.TopFraction(scores.Base, options.HardFraction);
        var talk = scores.Talk;
        var config = new EvaluationSettings(options.Thoughts, options.Thoughts ? forward.ThoughtTokens : 0, options.Seed, options.SequenceLength, options.BatchSize);
        return new TextNllResult(
            scores.Base.Count,
            scores.Base.Average(),
            talk?.Average(),
            hard.Average(i => scores.Base[i]),
            talk is null ? null : hard.Average(i => talk[i]),
            scores.Weights?.Average(),
            options.HardFraction,
            scores.Base,
            talk,
            hard,
            config);
    }

    /// <summary>The per-token values collected over the batches.</summary>
    private sealed class TokenScores(bool thoughts, int capacity)
    {
        public List<double> Base { get; } = new(capacity);

        public List<double>? Talk { get; } = thoughts ? new(capacity) : null;

        public List<double>? Weights { get; } = thoughts ? new(capacity) : null;

        public void Add(double baseNll, double? talkNll, double? weight)
        {
            Base.Add(baseNll);
            Talk?.Add(talkNll!.Value);
            Weights?.Add(weight!.Value);
        }
    }
}

/// <summary>Cuts a tokenised text into the windows the NLL evaluation scores.</summary>
internal static class TextWindows
{
    /// <summary>
    /// Non-overlapping windows of at most <paramref name="length"/> tokens, each BOS followed by the next
    /// <paramref name="length"/> − 1 text tokens (the last window may be shorter). Every text token is a target once.
    /// </summary>
    public static List<int[]> Split(int[] tokens, int bosId, int length)
    {
        int stride = length - 1;
        var windows = new List<int[]>((tokens.Length + stride - 1) / stride);
        for (int start = 0; start < tokens.Length; start += stride)
        {
            windows.Add([bosId, .. tokens.AsSpan(start, Math.Min(stride, tokens.Length - start))]);
        }

        return windows;
    }
}

/// <summary>
/// Per-token negative log-likelihoods (nats) of a text, without and with thoughts. The per-token arrays are paired
/// (same tokens, same order) so that <see cref="CompareWith"/> can compare them with another model's;
/// they are left out of JSON to keep it small.
/// </summary>
/// <param name="Tokens">Text tokens scored.</param>
/// <param name="BaseNll">Mean base NLL.</param>
/// <param name="TalkNll">Mean NLL after a thought (the mixed prediction); null without thoughts.</param>
/// <param name="HardBaseNll">Mean base NLL over the hard tokens.</param>
/// <param name="HardTalkNll">Mean NLL after a thought over the hard tokens; null without thoughts.</param>
/// <param name="MeanMixingWeight">Mean mixing weight w over the scored positions; null without thoughts.</param>
/// <param name="HardFraction">Share of tokens counted as hard: those with the highest base NLL under this model.</param>
/// <param name="BaseNllPerToken">Base NLL of every scored token, in text order.</param>
/// <param name="TalkNllPerToken">NLL after a thought of every scored token; null without thoughts.</param>
/// <param name="HardTokenIndices">Indices (ascending) into the per-token arrays of the hard tokens.</param>
/// <param name="Config">The configuration the evaluation ran with.</param>
public sealed record TextNllResult(
    [property: JsonPropertyName("n_tokens")] int Tokens,
    [property: JsonPropertyName("base_nll")] double BaseNll,
    [property: JsonPropertyName("talk_nll")] double? TalkNll,
    [property: JsonPropertyName("base_nll_hard")] double HardBaseNll,
    [property: JsonPropertyName("talk_nll_hard")] double? HardTalkNll,
    [property: JsonPropertyName("mean_mixing_weight")] double? MeanMixingWeight,
    [property: JsonPropertyName("hard_fraction")] double HardFraction,
    [property: JsonIgnore] IReadOnlyList<double> BaseNllPerToken,
    [property: JsonIgnore] IReadOnlyList<double>? TalkNllPerToken,
    [property: JsonIgnore] IReadOnlyList<int> HardTokenIndices,
    [property: JsonPropertyName("config")] EvaluationSettings Config)
{
    /// <summary>
    /// This model (the candidate) against <paramref name="baseline"/> on the same text, token by token: this result's
    /// per-token talk NLL (base NLL when it was scored without thoughts) minus the baseline's, with paired-bootstrap
    /// intervals over all tokens and over the baseline's hardest ⌈f·n⌉ tokens by base NLL.
    /// </summary>
    /// <param name="baseline">The model to beat, evaluated on the same text with the same sequence length.</param>
    /// <param name="hardFraction">Share of tokens, by the baseline's base NLL, that counts as hard. Default 0.1.</param>
    /// <param name="resamples">Bootstrap resamples. Default 10,000.</param>
    /// <param name="seed">Bootstrap seed.</param>
    /// <exception cref="ArgumentException">The two results do not cover the same tokens.</exception>
    public TextNllComparisonResult CompareWith(TextNllResult baseline, double hardFraction = 0.1, int resamples = 10_000, long seed = 0) =>
        TextNllComparison.Compare(this, baseline, hardFraction, resamples, seed);
}
