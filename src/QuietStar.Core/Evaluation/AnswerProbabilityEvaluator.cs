using System.Text.Json.Serialization;
using QuietStar.Core.Data;
using QuietStar.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Evaluation;

/// <summary>
/// The paper's zero-shot "direct" metric (the reference's <c>eval_helpers.compute_metrics</c>): the probability of
/// the correct answer, not argmax accuracy. A question's score is the product, over its scored answer tokens (from
/// <see cref="IAnswerProbabilityTask.FirstScoredAnswerToken"/> on, skipping tokens outside the allowed set), of the
/// token's probability renormalised over the allowed set — a softmax of the logits restricted to the allowed ids.
/// The result is the mean over questions. With thoughts, the logits are those predicted after a thought at every
/// position (see <see cref="ScoringPass"/>); thoughts are sampled from a generator seeded with
/// <see cref="AnswerProbabilityOptions.Seed"/>.
/// </summary>
internal sealed class AnswerProbabilityEvaluator
{
    private readonly ScoringPass forward;
    private readonly TextTokenizer tokenizer;

    /// <summary>Creates an evaluator of the model behind <paramref name="forward"/>, whose text <paramref name="tokenizer"/> writes.</summary>
    public AnswerProbabilityEvaluator(ScoringPass forward, TextTokenizer tokenizer)
    {
        this.forward = forward ?? throw new ArgumentNullException(nameof(forward));
        this.tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
    }

    /// <summary>Evaluates <paramref name="task"/> on the JSON Lines file <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid or the sequence length exceeds the model's context.</exception>
    /// <exception cref="InvalidOperationException">Thoughts were asked of a model that cannot think, or the tokenizer cannot write the task's answers.</exception>
    /// <exception cref="InvalidDataException">The file is empty or has a malformed line (unless skipped).</exception>
    public AnswerProbabilityResult Evaluate(IAnswerProbabilityTask task, string path, AnswerProbabilityOptions options,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        Check(options);
        var read = task.Load(path, options.SkipMalformed);
        return Evaluate(task, read.Items, options, progress, cancellationToken) with { SkippedMalformed = read.SkippedLines };
    }

    /// <summary>Evaluates <paramref name="task"/> on already formatted questions.</summary>
    /// <exception cref="ArgumentException">An option is invalid, the sequence length exceeds the model's context, or there is no question.</exception>
    /// <exception cref="InvalidOperationException">Thoughts were asked of a model that cannot think, or the tokenizer cannot write the task's answers.</exception>
    public AnswerProbabilityResult Evaluate(IAnswerProbabilityTask task, IReadOnlyList<FormattedQuestion> questions, AnswerProbabilityOptions options,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(questions);
        Check(options);
        var selected = questions.Take(options.Limit ?? int.MaxValue).ToList();
        if (selected.Count == 0)
        {
            throw new ArgumentException("There are no questions to evaluate.", nameof(questions));
        }

        int[] allowed = [.. task.AllowedAnswerTokenIds(tokenizer).Order()];
        var encoded = selected.Select(q => EncodedQuestion.Encode(tokenizer, q, options.SequenceLength)).ToList();
        var probabilities = new double[encoded.Count];
        using var generator = new Generator(unchecked((ulong)options.Seed), forward.Device);
        for (int start = 0; start < encoded.Count; start += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = encoded.GetRange(start, Math.Min(options.BatchSize, encoded.Count - start));
            ScoreBatch(batch, allowed, task.FirstScoredAnswerToken, options.Thoughts, generator).CopyTo(probabilities, start);
            progress?.Report(new EvaluationProgress(start + batch.Count, encoded.Count));
        }

        var config = new EvaluationSettings(options.Thoughts, options.Thoughts ? forward.ThoughtTokens : 0, options.Seed, options.SequenceLength, options.BatchSize);
        return new AnswerProbabilityResult(task.Name, probabilities.Length, probabilities.Average(), probabilities, 0, config);
    }

    private void Check(AnswerProbabilityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        forward.Require(options.Thoughts, options.SequenceLength);
    }

    /// <summary>Scores one batch of questions: one forward pass, then each question's product of renormalised probabilities.</summary>
    private double[] ScoreBatch(List<EncodedQuestion> batch, int[] allowed, int firstScored, bool thoughts, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        var tokens = SequenceBatch.Pad([.. batch.Select(q => q.Ids)], forward.PadTokenId, forward.Device, minLength: 3);
        var logits = forward.Run(tokens, thoughts, generator).Logits;                          // [B, L, V]
        var targets = ScoredTokens(batch, allowed, firstScored);
        var logProbabilities = RestrictedLogProbabilities(logits, targets, allowed);            // [S]
        var scores = new double[batch.Count];
        for (int i = 0; i < targets.Count; i++)
        {
            scores[targets[i].Question] += logProbabilities[i];
        }

        return [.. scores.Select(Math.Exp)];
    }

    /// <summary>The scored answer tokens of a batch: question, the position whose logits predict the token, and the token's column in <paramref name="allowed"/>.</summary>
    private static List<(int Question, int Position, int Column)> ScoredTokens(List<EncodedQuestion> batch, int[] allowed, int firstScored)
    {
        var targets = new List<(int, int, int)>();
        for (int q = 0; q < batch.Count; q++)
        {
            int[] ids = batch[q].Ids;
            for (int t = batch[q].AnswerStart + firstScored; t < ids.Length; t++)
            {
                int column = Array.BinarySearch(allowed, ids[t]);
                if (column >= 0)
                {
                    targets.Add((q, t - 1, column));
                }
            }
        }

        return targets;
    }

    /// <summary>log softmax of the logits restricted to the allowed ids, at each target, in float64.</summary>
    private double[] RestrictedLogProbabilities(Tensor logits, List<(int Question, int Position, int Column)> targets, int[] allowed)
    {
        var device = forward.Device;
        var rows = torch.tensor(targets.Select(t => (long)t.Question).ToArray(), device: device);        // [S]
        var positions = torch.tensor(targets.Select(t => (long)t.Position).ToArray(), device: device);   // [S]
        var columns = torch.tensor(targets.Select(t => (long)t.Column).ToArray(), device: device);       // [S]
        var allowedIds = torch.tensor(allowed.Select(id => (long)id).ToArray(), device: device);         // [A]
        var picked = logits.index(TensorIndex.Tensor(rows), TensorIndex.Tensor(positions));              // [S, V]
        var restricted = picked.index_select(-1, allowedIds).to_type(ScalarType.Float64).log_softmax(-1); // [S, A]
        return restricted.gather(-1, columns.unsqueeze(-1)).squeeze(-1).cpu().data<double>().ToArray();   // [S]
    }
}

/// <summary>The result of an answer-probability evaluation.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="N">Questions evaluated.</param>
/// <param name="AnswerProbability">Mean over questions of the renormalised probability of the correct answer.</param>
/// <param name="ItemProbabilities">Each question's probability, in data-set order (for paired comparisons).</param>
/// <param name="SkippedMalformed">Malformed data-set lines skipped.</param>
/// <param name="Config">The configuration the evaluation ran with.</param>
public sealed record AnswerProbabilityResult(
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("answer_probability")] double AnswerProbability,
    [property: JsonPropertyName("item_probabilities")] IReadOnlyList<double> ItemProbabilities,
    [property: JsonPropertyName("skipped_malformed")] int SkippedMalformed,
    [property: JsonPropertyName("config")] EvaluationSettings Config);
