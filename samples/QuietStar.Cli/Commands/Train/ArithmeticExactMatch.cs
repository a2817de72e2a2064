using System.Text.Json;
using QuietStar.Core;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Inference;

namespace QuietStar.Cli.Commands.Train;

/// <summary>
/// Exact match of the arithmetic preset on held-out problems (<see cref="ArithmeticSplit.Validation"/>, a fixed seed
/// so that every run and every seed is scored on the same problems): without thoughts, with the model's thoughts
/// (sampled as in training, or greedy), and with uniformly random thoughts (the control that shows whether the
/// thoughts' content pays).
/// </summary>
internal static class ArithmeticExactMatch
{
    /// <summary>The seed of the held-out problems, the same in every run.</summary>
    public const long ProblemSeed = 20_241_207;

    /// <summary>The held-out problems.</summary>
    public static IReadOnlyList<ArithmeticProblem> Problems(int digits, int count) =>
        ArithmeticProblems.Generate(digits, count, ProblemSeed, ArithmeticSplit.Validation);

    /// <summary>Scores the model of <paramref name="pipeline"/> on <paramref name="problems"/> in each named way.</summary>
    /// <param name="pipeline">The thinking model (as trained so far).</param>
    /// <param name="problems">The held-out problems.</param>
    /// <param name="maxTokens">Tokens generated at most per answer.</param>
    /// <param name="variants">The ways to decode: no_thoughts, thoughts (sampled, as the reference), greedy_thoughts, uniform_thoughts.</param>
    public static Dictionary<string, object?> Measure(QuietStarPipeline pipeline, IReadOnlyList<ArithmeticProblem> problems, int maxTokens, params string[] variants)
    {
        // The problems as GSM8K records ("#### answer"), the data set exact match reads.
        string jsonLines = string.Concat(problems.Select(p => JsonSerializer.Serialize(new { question = p.Question, answer = $"#### {p.Answer}" }) + "\n"));
        var result = new Dictionary<string, object?>();
        foreach (string variant in variants)
        {
            var thoughts = variant switch
            {
                "no_thoughts" => ThoughtOptions.None,
                "thoughts" => new ThoughtOptions(),
                "greedy_thoughts" => new ThoughtOptions { Sampling = ThoughtSampling.Greedy },
                "uniform_thoughts" => new ThoughtOptions { Sampling = ThoughtSampling.Uniform },
                _ => throw new ArgumentOutOfRangeException(nameof(variants), variant, "Unknown variant."),
            };
            using var data = new StringReader(jsonLines);
            var scored = pipeline.EvaluateExactMatch(data, "held-out arithmetic problems", new ExactMatchOptions { Thoughts = thoughts, MaxTokens = maxTokens });
            result[variant] = new Dictionary<string, object?>
            {
                ["exact_match"] = scored.Accuracy,
                ["interval_95"] = new[] { scored.Lower, scored.Upper },
                ["examples"] = scored.Items.Take(3).Select(item => new Dictionary<string, object?>
                {
                    ["question"] = item.Question,
                    ["generated"] = item.Generated,
                    ["correct"] = item.Correct,
                    ["thought"] = item.Thoughts.FirstOrDefault()?.Text,
                    ["w"] = item.Thoughts.Select(t => t.MixingWeight).ToArray(),
                }).ToArray(),
            };
        }

        return result;
    }
}
