using System.Diagnostics;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Inference;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Eval;

/// <summary>
/// <c>quietstar eval</c>: the paper's evaluations of a model, with or without thoughts. Progress goes to stderr and
/// one JSON line with the score and the configuration to stdout.
/// </summary>
internal sealed class EvalCommand(CliConsole console) : Command<EvalSettings>
{
    /// <inheritdoc />
    public override int Execute(CommandContext context, EvalSettings settings, CancellationToken cancellationToken)
    {
        var task = settings.ChosenTask;
        string data = settings.Data ?? task.DefaultData!.Name;
        using var loaded = settings.LoadModel();
        var thinking = EvalThinking.Resolve(settings, loaded);
        string what = settings.Cot ? "gsm8k zero-shot chain of thought (generating without thoughts)" : $"{task.Name} {thinking.Description}";
        console.Diagnostics.MarkupLineInterpolated($"[grey]{settings.ModelName}: evaluating {what} on {data}[/]");

        var clock = Stopwatch.StartNew();
        var result = ProgressDisplay.Run(console, $"eval {task.Name}", 1, display =>
        {
            var progress = new EvaluationMonitor(display, task.IsAnswerProbability ? "questions" : "windows");
            return settings.Cot ? RunCot(settings, thinking, progress, cancellationToken)
                : settings.ExactMatch ? RunExactMatch(settings, thinking, progress, cancellationToken)
                : task.IsAnswerProbability ? RunAnswerProbability(settings, task, thinking, progress, cancellationToken)
                : RunText(settings, thinking, progress, cancellationToken);
        });

        result["seconds"] = clock.Elapsed.TotalSeconds;
        result["runtime"] = RuntimeInfo.Current();
        console.Output.WriteLine(JsonLine.Serialize(result));
        return 0;
    }

    private static Dictionary<string, object?> RunAnswerProbability(EvalSettings settings, EvalTask task, EvalThinking thinking,
        IProgress<(int Completed, int Total)> progress, CancellationToken cancellationToken)
    {
        var options = new AnswerProbabilityOptions
        {
            Thoughts = thinking.Thoughts,
            Sampling = settings.ChosenThoughtSampling,
            SequenceLength = settings.SequenceLength,
            BatchSize = settings.Batch,
            Limit = settings.Limit,
            Seed = settings.Seed,
            SkipMalformed = settings.SkipMalformed,
        };
        var pipeline = thinking.Pipeline;
        AnswerProbabilityResult result;
        if (settings.Data is { } path)
        {
            result = pipeline.EvaluateAnswerProbability(task.AnswerProbabilityTask, path, options, progress, cancellationToken);
        }
        else
        {
            using var data = task.DefaultData!.Open();
            result = pipeline.EvaluateAnswerProbability(task.AnswerProbabilityTask, data, task.DefaultData.Name, options, progress, cancellationToken);
        }

        return new Dictionary<string, object?>
        {
            ["task"] = result.Task,
            ["n"] = result.N,
            ["answer_probability"] = result.AnswerProbability,
            ["skipped_malformed"] = result.SkippedMalformed,
            ["config"] = Config(settings, thinking, result.Config),
        };
    }

    private static Dictionary<string, object?> RunExactMatch(EvalSettings settings, EvalThinking thinking,
        IProgress<(int Completed, int Total)> progress, CancellationToken cancellationToken)
    {
        var pipeline = thinking.Pipeline;
        var model = thinking.Thoughts ? pipeline.Options : null;
        var thoughts = model is not null ? new ThoughtOptions { Decoding = settings.ChosenDecoding, Sampling = settings.ChosenThoughtSampling } : ThoughtOptions.None;
        var options = new ExactMatchOptions
        {
            MaxTokens = settings.MaxTokens ?? 12,
            BatchSize = settings.Batch,
            Thoughts = thoughts,
            Seed = settings.Seed,
            AnswerPrefix = settings.AnswerPrefix ?? "",
            AnswerAfter = settings.AnswerAfter,
            Limit = settings.Limit,
            SkipMalformed = settings.SkipMalformed,
        };
        ExactMatchResult result;
        if (settings.Data is { } path)
        {
            result = pipeline.EvaluateExactMatch(path, options, progress, cancellationToken);
        }
        else
        {
            using var data = EvalTask.Gsm8k.DefaultData!.Open();
            result = pipeline.EvaluateExactMatch(data, EvalTask.Gsm8k.DefaultData.Name, options, progress, cancellationToken);
        }

        var decoding = thoughts.Decoding ?? model?.Decoding;
        return new Dictionary<string, object?>
        {
            ["task"] = EvalTask.Gsm8k.Name,
            ["n"] = result.N,
            ["exact_match"] = result.Accuracy,
            ["correct"] = result.Correct,
            ["interval_95"] = new[] { result.Lower, result.Upper },
            ["correct_items"] = string.Concat(result.Items.Select(item => item.Correct ? '1' : '0')),
            ["examples"] = result.Items.Take(4).Select(item => new Dictionary<string, object?>
            {
                ["question"] = item.Question,
                ["expected"] = item.Expected,
                ["generated"] = item.Generated,
                ["correct"] = item.Correct,
                ["thoughts"] = item.Thoughts.Select(t => new { t.Text, w = t.MixingWeight, t.TalkStep }).ToArray(),
            }).ToArray(),
            ["config"] = new Dictionary<string, object?>
            {
                ["model"] = settings.ModelName,
                ["data"] = settings.Data ?? EvalTask.Gsm8k.DefaultData!.Name,
                ["limit"] = settings.Limit,
                ["thoughts"] = thinking.Thoughts,
                ["thoughts_from"] = thinking.Source,
                ["thought_tokens"] = model?.ThoughtTokens,
                ["thought_sampling"] = model is not null ? settings.ChosenThoughtSampling.ToString().ToLowerInvariant() : null,
                ["decoding"] = decoding is { } mode ? DecodingFlag.Name(mode) : null,
                ["speak_tokens"] = model is null ? null : DecodingFlag.TalkTokens(model, thoughts),
                ["max_tokens"] = options.MaxTokens,
                ["answer_prefix"] = options.AnswerPrefix,
                ["answer_after"] = options.AnswerAfter,
                ["batch_size"] = options.BatchSize,
                ["seed"] = options.Seed,
            },
        };
    }

    private static Dictionary<string, object?> RunText(EvalSettings settings, EvalThinking thinking,
        IProgress<(int Completed, int Total)> progress, CancellationToken cancellationToken)
    {
        var options = new TextNllOptions
        {
            Thoughts = thinking.Thoughts,
            Sampling = settings.ChosenThoughtSampling,
            SequenceLength = settings.SequenceLength,
            BatchSize = settings.Batch,
            Seed = settings.Seed,
            Limit = settings.Limit,
        };
        var result = thinking.Pipeline.EvaluateTextNllFile(settings.Data!, options, progress, cancellationToken);
        var output = new Dictionary<string, object?>
        {
            ["task"] = EvalTask.Text.Name,
            ["n_tokens"] = result.Tokens,
            ["base_nll"] = result.BaseNll,
            ["talk_nll"] = result.TalkNll,
            ["base_nll_hard"] = result.HardBaseNll,
            ["talk_nll_hard"] = result.HardTalkNll,
            ["mean_mixing_weight"] = result.MeanMixingWeight,
            ["hard_fraction"] = result.HardFraction,
            ["config"] = Config(settings, thinking, result.Config),
        };
        if (settings.BaselineSettings is { } baselineSettings)
        {
            output["vs_baseline"] = CompareWithBaseline(baselineSettings, settings.Data!, options, result, progress, cancellationToken);
        }

        return output;
    }

    /// <summary>
    /// Scores the baseline's base predictions on the same text, windows and seed as the candidate, and compares per
    /// token: candidate talk NLL minus baseline NLL, over all tokens and the baseline's hardest 10 %.
    /// </summary>
    private static Dictionary<string, object?> CompareWithBaseline(ModelSettings baselineSettings, string path, TextNllOptions candidateOptions, TextNllResult candidate,
        IProgress<(int Completed, int Total)> progress, CancellationToken cancellationToken)
    {
        using var baseline = baselineSettings.LoadModel();
        var scored = baseline.Thinking(null).EvaluateTextNllFile(path, candidateOptions with { Thoughts = false }, progress, cancellationToken);
        var comparison = candidate.CompareWith(scored);
        return new Dictionary<string, object?>
        {
            ["baseline"] = baselineSettings.ModelName,
            ["baseline_nll"] = scored.BaseNll,
            ["baseline_nll_hard"] = scored.HardBaseNll,
            ["n_tokens"] = comparison.Tokens,
            ["n_hard_tokens"] = comparison.HardTokens,
            ["all"] = Interval(comparison.All),
            ["hard"] = Interval(comparison.Hard),
        };
    }

    private static Dictionary<string, object?> Interval(PairedBootstrapResult result) => new()
    {
        ["mean_difference"] = result.MeanDifference,
        ["lower"] = result.Lower,
        ["upper"] = result.Upper,
        ["confidence"] = result.Confidence,
        ["resamples"] = result.Resamples,
        ["excludes_zero"] = result.ExcludesZero,
    };

    private static Dictionary<string, object?> RunCot(EvalSettings settings, EvalThinking thinking, IProgress<(int Completed, int Total)> progress,
        CancellationToken cancellationToken)
    {
        var options = new ZeroShotCotOptions { Seed = settings.Seed, SkipMalformed = settings.SkipMalformed };
        options.Votes = settings.Samples ?? options.Votes;
        options.Limit = settings.Limit ?? options.Limit;
        ZeroShotCotResult result;
        if (settings.Data is { } path)
        {
            result = thinking.Pipeline.EvaluateZeroShotCot(path, options, progress, cancellationToken);
        }
        else
        {
            using var data = EvalTask.Gsm8k.DefaultData!.Open();
            result = thinking.Pipeline.EvaluateZeroShotCot(data, EvalTask.Gsm8k.DefaultData.Name, options, progress, cancellationToken);
        }

        return new Dictionary<string, object?>
        {
            ["task"] = result.Task,
            ["n"] = result.N,
            ["accuracy"] = result.Accuracy,
            ["answered_fraction"] = result.Questions.Average(q => q.Majority is null ? 0.0 : 1.0),
            ["skipped_malformed"] = result.SkippedMalformed,
            ["config"] = new Dictionary<string, object?>
            {
                ["model"] = settings.ModelName,
                ["data"] = settings.Data ?? EvalTask.Gsm8k.DefaultData!.Name,
                ["thoughts"] = false,
                ["votes"] = options.Votes,
                ["limit"] = options.Limit,
                ["temperature"] = options.Temperature,
                ["max_reasoning_tokens"] = options.MaxReasoningTokens,
                ["answer_tokens"] = options.AnswerTokens,
                ["seed"] = options.Seed,
            },
        };
    }

    private static Dictionary<string, object?> Config(EvalSettings settings, EvalThinking thinking, EvaluationSettings library) => new()
    {
        ["model"] = settings.ModelName,
        ["data"] = settings.Data ?? settings.ChosenTask.DefaultData?.Name,
        ["limit"] = settings.Limit,
        ["thoughts"] = library.Thoughts,
        ["thoughts_from"] = thinking.Source,
        ["thought_tokens"] = library.ThoughtTokens,
        ["thought_sampling"] = library.Thoughts ? settings.ChosenThoughtSampling.ToString().ToLowerInvariant() : null,
        ["seed"] = library.Seed,
        ["seq_len"] = library.SequenceLength,
        ["batch_size"] = library.BatchSize,
        ["skip_malformed"] = settings.SkipMalformed,
    };
}
