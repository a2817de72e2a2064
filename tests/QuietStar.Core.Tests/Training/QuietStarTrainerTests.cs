using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Checkpoints;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;

namespace QuietStar.Core.Tests.Training;

public sealed class QuietStarTrainerTests
{
    private readonly TextTokenizer tokenizer = TinyTraining.Tokenizer();
    private readonly TextCorpus corpus;

    public QuietStarTrainerTests() => corpus = TinyTraining.Corpus(tokenizer);

    [Fact]
    public void Six_steps_equal_three_steps_then_a_resume_to_six_bit_for_bit()
    {
        var options = TinyTraining.Options with { Steps = 6 };
        using var folder = new TempFolder();
        string checkpoint = Path.Combine(folder.Path, "run");

        using var straightModel = TinyTraining.Model(tokenizer);
        var straight = Train(straightModel, options);
        using (var firstModel = TinyTraining.Model(tokenizer))
        {
            Train(firstModel, options with { Steps = 3, CheckpointFolder = checkpoint });
        }

        var loaded = QuietStarCheckpoint.Load(checkpoint);
        using var resumedModel = loaded.Model;
        using var trainer = QuietStarTrainer.Resume(loaded, options);
        var resumed = trainer.Train(corpus);

        loaded.Training!.Step.Should().Be(3);
        resumed.StartStep.Should().Be(3);
        resumed.Steps.Should().Be(6);
        resumed.FinalMetrics.Should().BeEquivalentTo(straight.FinalMetrics, o => o.WithStrictOrdering());
        resumed.FinalMetrics!.Loss.Should().Be(straight.FinalMetrics!.Loss);
        resumed.FinalValidation.Should().Be(straight.FinalValidation);
        var expected = TinyTraining.Snapshot(straightModel);
        foreach (var (name, value) in TinyTraining.Snapshot(resumedModel))
        {
            TinyTraining.Bits(value).Should().Equal(TinyTraining.Bits(expected[name]), name);
        }
    }

    [Fact]
    public void No_thought_mode_trains_only_the_language_model_on_the_same_data_and_talk_equals_base()
    {
        var options = TinyTraining.Options with { Steps = 4 };
        using var model = TinyTraining.Model(tokenizer);
        var before = TinyTraining.Snapshot(model);
        var plainTokens = new List<long>();
        var thoughtTokens = new List<long>();

        var report = Train(model, options with { NoThoughts = true }, new SynchronousProgress<TrainingProgress>(p => plainTokens.Add(p.Tokens)));
        using (var thinking = TinyTraining.Model(tokenizer))
        {
            Train(thinking, options, new SynchronousProgress<TrainingProgress>(p => thoughtTokens.Add(p.Tokens)));
        }

        report.NoThoughts.Should().BeTrue();
        plainTokens.Should().Equal(thoughtTokens, "both modes draw the same sequences in the same order");
        foreach (var (name, value) in TinyTraining.Snapshot(model))
        {
            bool changed = !TinyTraining.Bits(value).SequenceEqual(TinyTraining.Bits(before[name]));
            changed.Should().Be(name.StartsWith("language_model.", StringComparison.Ordinal), name);
        }

        var validation = report.FinalValidation!;
        validation.TalkNll.Should().Be(validation.BaseNll);
        validation.MeanMixingWeight.Should().Be(0);
        var split = corpus.Split(options.ValidationFraction, options.Seed);
        var thinkingValidation = ValidationEvaluator.Evaluate(model, split.Validation,
            new ValidationOptions { SequenceLength = options.SequenceLength, BatchSize = options.BatchSize, Batches = options.EvalBatches, Seed = 3 });
        thinkingValidation.TalkNll.Should().Be(thinkingValidation.BaseNll, "the untouched mixing head still gives w = 0");
        thinkingValidation.BaseNll.Should().BeApproximately(validation.BaseNll, 1e-5);
    }

    [Fact]
    public void Live_tensor_count_is_flat_over_repeated_steps()
    {
        var options = TinyTraining.Options with { Steps = 50, GradientAccumulation = 1, EvalEvery = 10 };
        using var model = TinyTraining.Model(tokenizer);
        var live = new Dictionary<int, long>();

        Train(model, options, new SynchronousProgress<TrainingProgress>(p => live[p.Step] = DisposeScopeManager.Statistics.ThreadTotalLiveCount));

        live.Should().HaveCount(50);
        live.Where(entry => entry.Key >= 5).Select(entry => entry.Value).Distinct().Should().ContainSingle(
            "every tensor a step or a validation creates is disposed (live counts after warm-up: {0})",
            string.Join(", ", live.Where(e => e.Key >= 5).Select(e => $"{e.Key}:{e.Value}")));
    }

    [Fact]
    public void Progress_reports_every_step_with_validation_and_the_meter_records_the_reported_values()
    {
        using var meter = new TrainerMeterRecording();
        var reports = new List<TrainingProgress>();
        using var model = TinyTraining.Model(tokenizer);

        Train(model, TinyTraining.Options, new SynchronousProgress<TrainingProgress>(reports.Add));

        reports.Select(r => r.Step).Should().Equal(1, 2, 3);
        reports.Select(r => r.Validation is not null).Should().Equal(false, true, true);
        reports.Select(r => r.LearningRate).Should().Equal(0.5e-3, 1e-3, 1e-3);
        reports.Should().AllSatisfy(r =>
        {
            r.Metrics.TalkNll.Should().HaveCount(2);
            r.GradientNorm.Should().BePositive();
            r.TokensPerSecond.Should().BePositive();
            r.Tokens.Should().BePositive();
        });
        reports[^1].EstimatedRemaining.Should().Be(TimeSpan.Zero);

        // The meter carries the same numbers the progress reports give, step by step (there is no learning-rate instrument).
        meter.Values("quietstar.train.steps").Should().Equal(1, 1, 1);
        meter.Values("quietstar.train.tokens").Should().Equal(reports.Select(r => (double)r.Tokens));
        meter.Values("quietstar.train.loss", "component", "total").Should().Equal(reports.Select(r => r.Metrics.Loss));
        meter.Values("quietstar.train.loss", "component", "base_nll").Should().Equal(reports.Select(r => r.Metrics.BaseNll));
        meter.Values("quietstar.train.loss", "component", "talk_nll").Should().Equal(reports.Select(r => r.Metrics.TalkNll[0]));
        meter.Values("quietstar.train.loss", "component", "talk_minus_base").Should().Equal(reports.Select(r => r.Metrics.TalkMinusBase));
        meter.Values("quietstar.train.loss", "component", "policy").Should().Equal(reports.Select(r => r.Metrics.WeightedPolicyLoss));
        meter.Values("quietstar.train.mixing_weight").Should().Equal(reports.Select(r => r.Metrics.MixingWeightMean));
        meter.Values("quietstar.train.reward").Should().Equal(reports.Select(r => r.Metrics.RewardMean));
        meter.Values("quietstar.train.gradient_norm").Should().Equal(reports.Select(r => r.GradientNorm));
        meter.Values("quietstar.train.tokens_per_second").Should().Equal(reports.Select(r => r.TokensPerSecond));
        var validations = reports.Where(r => r.Validation is not null).Select(r => r.Validation!).ToList();
        meter.Values("quietstar.validation.nll", "kind", "base").Should().Equal(validations.Select(v => v.BaseNll));
        meter.Values("quietstar.validation.nll", "kind", "talk").Should().Equal(validations.Select(v => v.TalkNll));
        meter.Values("quietstar.validation.nll", "kind", "hard_base").Should().Equal(validations.Select(v => v.HardBaseNll));
        meter.Values("quietstar.validation.nll", "kind", "hard_talk").Should().Equal(validations.Select(v => v.HardTalkNll));
        validations.Select(v => v.TalkNll).Should().NotEqual(validations.Select(v => v.BaseNll), "so that swapped kinds would show");
    }

    [Fact]
    public void Cancelling_stops_between_steps_saves_the_last_completed_step_and_resuming_it_from_disk_equals_an_uninterrupted_run()
    {
        var options = TinyTraining.Options with { Steps = 4 };
        using var folder = new TempFolder();
        string checkpoint = Path.Combine(folder.Path, "run");
        using var straightModel = TinyTraining.Model(tokenizer);
        var straight = Train(straightModel, options);
        using (var cancellation = new CancellationTokenSource())
        using (var model = TinyTraining.Model(tokenizer))
        using (var trainer = new QuietStarTrainer(model, tokenizer, options with { CheckpointFolder = checkpoint }))
        {
            var act = () => trainer.Train(corpus, new SynchronousProgress<TrainingProgress>(p =>
            {
                if (p.Step == 2)
                {
                    cancellation.Cancel();
                }
            }), cancellation.Token);

            act.Should().Throw<OperationCanceledException>();
            trainer.CompletedSteps.Should().Be(2);
        }

        // Only the folder carries the run on: a fresh model and trainer from disk (the cancelled ones are gone).
        var loaded = QuietStarCheckpoint.Load(checkpoint);
        using var resumedModel = loaded.Model;
        loaded.Training!.Step.Should().Be(2);
        using var resumer = QuietStarTrainer.Resume(loaded, options);
        var continued = resumer.Train(corpus);

        continued.StartStep.Should().Be(2);
        continued.Steps.Should().Be(4);
        continued.FinalMetrics!.Loss.Should().Be(straight.FinalMetrics!.Loss);
        continued.FinalMetrics.Should().BeEquivalentTo(straight.FinalMetrics, o => o.WithStrictOrdering());
        continued.FinalValidation.Should().Be(straight.FinalValidation);
        var expected = TinyTraining.Snapshot(straightModel);
        var actual = TinyTraining.Snapshot(resumedModel);
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (name, value) in actual)
        {
            TinyTraining.Bits(value).Should().Equal(TinyTraining.Bits(expected[name]), name);
        }
    }

    [Theory]
    [InlineData(LearningRateSchedule.Constant, new[] { 0.25, 0.5, 0.75, 1, 1, 1, 1, 1, 1, 1 })]
    [InlineData(LearningRateSchedule.Cosine, new[] { 0.25, 0.5, 0.75, 1, 1, 0.9330127, 0.75, 0.5, 0.25, 0.0669873 })]
    public void The_learning_rate_warms_up_linearly_then_stays_or_follows_a_cosine(LearningRateSchedule schedule, double[] factors)
    {
        var options = new TrainingOptions { Steps = 10, WarmupSteps = 4, Schedule = schedule };

        var actual = Enumerable.Range(1, 10).Select(step => LearningRateCurve.Factor(step, options)).ToList();

        actual.Should().Equal(factors, (a, e) => Math.Abs(a - e) < 1e-6);
    }

    private TrainingReport Train(QuietStarModel model, TrainingOptions options, IProgress<TrainingProgress>? progress = null)
    {
        using var trainer = new QuietStarTrainer(model, tokenizer, options);
        return trainer.Train(corpus, progress);
    }
}
