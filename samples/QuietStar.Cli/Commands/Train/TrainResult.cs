using QuietStar.Cli.Assets;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Training;

namespace QuietStar.Cli.Commands.Train;

/// <summary>The JSON line <c>quietstar train</c> prints: outcome, final loss components, validation, files, configuration and runtime.</summary>
internal static class TrainResult
{
    /// <summary>The result's fields, in print order.</summary>
    public static Dictionary<string, object?> Create(TrainingReport report, TrainingRun run, TrainSettings settings, string curvesPath, string? baseModelPath, Dictionary<string, object?>? exactMatch)
    {
        var o = run.Options;
        var q = run.QuietStarOptions;
        return new Dictionary<string, object?>
        {
            ["steps"] = report.Steps,
            ["start_step"] = report.StartStep,
            ["seconds"] = report.Seconds,
            ["tokens"] = report.Tokens,
            ["tokens_per_second"] = report.Tokens / Math.Max(report.Seconds, 1e-9),
            ["final_loss"] = report.FinalMetrics?.Loss,
            ["final"] = report.FinalMetrics,
            ["validation"] = report.FinalValidation,
            ["exact_match"] = exactMatch,
            ["checkpoint"] = report.CheckpointPath,
            ["curves"] = curvesPath,
            ["base_model"] = baseModelPath,
            ["config"] = new Dictionary<string, object?>
            {
                ["model"] = run.ModelName,
                ["data"] = TrainCommand.DataName(settings, o.Seed),
                ["digits"] = settings.ArithmeticDigits,
                ["preset"] = run.ResumedFrom is null || settings.ArithmeticDigits is not null ? settings.ChosenPreset.Name : null,
                ["resumed_from"] = run.ResumedFrom,
                ["no_thoughts"] = o.NoThoughts,
                ["steps"] = o.Steps,
                ["seq_len"] = o.SequenceLength,
                ["batch"] = o.BatchSize,
                ["gradient_accumulation"] = o.GradientAccumulation,
                ["passes"] = q.Passes,
                ["thought_tokens"] = q.ThoughtTokens,
                ["talk_tokens"] = q.TalkTokens,
                ["lr"] = o.LearningRate,
                ["warmup"] = o.WarmupSteps,
                ["schedule"] = o.Schedule.ToString().ToLowerInvariant(),
                ["weight_decay"] = o.WeightDecay,
                ["max_grad_norm"] = o.MaxGradNorm,
                ["policy_weight"] = q.PolicyLossWeight,
                ["start_init"] = q.ThoughtInitText,
                ["end_init"] = q.EndThoughtInitText ?? q.ThoughtInitText,
                ["embedding_grad_scale"] = q.ThoughtEmbeddingGradientScale,
                ["head_lr_mult"] = o.MixingHeadLearningRateMultiplier,
                ["mixed_precision"] = o.MixedPrecision == MixedPrecision.BFloat16 ? "bf16" : "none",
                ["decoding"] = DecodingFlag.Name(q.Decoding),
                ["entropy_weight"] = q.ThoughtEntropyWeight,
                ["kl_weight"] = q.ThoughtKlWeight,
                ["normalize_advantages"] = q.NormalizeAdvantages,
                ["reward_from_thought"] = q.RewardFromThought,
                ["policy_warmup"] = q.PolicyWeightWarmupSteps,
                ["lm_steps"] = o.PlainLanguageModelSteps,
                ["reinforce_temperature"] = q.ReinforceTemperature,
                ["attention"] = q.Attention.ToString().ToLowerInvariant(),
                ["mixing_space"] = q.MixingSpace.ToString().ToLowerInvariant(),
                ["eval_every"] = o.EvalEvery,
                ["eval_batches"] = o.EvalBatches,
                ["validation_fraction"] = o.ValidationFraction,
                ["seed"] = o.Seed,
                ["dtype"] = settings.DTypeName.ToLowerInvariant(),
                ["device"] = settings.DeviceName.ToLowerInvariant(),
            },
            ["runtime"] = RuntimeInfo.Current(),
            ["peak_rss_mb"] = ProcessMemory.PeakRssMb(),
        };
    }
}
