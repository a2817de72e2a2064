using FluentAssertions;
using Microsoft.Extensions.Logging;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Checkpoints;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using QuietStar.Core.Training;
using Xunit;

namespace QuietStar.Core.Tests.Training;

/// <summary>Resuming after a changed option, without the optimizer file, and in the middle of the learning-rate warm-up (issue 13).</summary>
public sealed class ResumeEdgeCaseTests
{
    private readonly TextTokenizer tokenizer = TinyTraining.Tokenizer();
    private readonly TextCorpus corpus;

    public ResumeEdgeCaseTests() => corpus = TinyTraining.Corpus(tokenizer);

    [Fact]
    public void Resuming_with_a_changed_option_is_accepted_and_a_warning_names_the_option_and_both_values()
    {
        using var folder = new TempFolder();
        string checkpoint = Path.Combine(folder.Path, "run");
        var options = TinyTraining.Options with { Steps = 2 };
        SaveRun(options, checkpoint);
        var logger = new RecordingLogger();

        var loaded = QuietStarCheckpoint.Load(checkpoint);
        using var model = loaded.Model;
        using var trainer = QuietStarTrainer.Resume(loaded, options with { Steps = 3, LearningRate = 2e-3 }, logger);

        trainer.CompletedSteps.Should().Be(2, "a changed option does not refuse the resume");
        var warnings = logger.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).ToList();
        warnings.Should().ContainSingle().Which.Should().Contain("LearningRate").And.Contain("0.001").And.Contain("0.002");
    }

    [Fact]
    public void Resuming_with_the_same_options_and_more_steps_warns_about_nothing()
    {
        using var folder = new TempFolder();
        string checkpoint = Path.Combine(folder.Path, "run");
        var options = TinyTraining.Options with { Steps = 2 };
        SaveRun(options, checkpoint);
        var logger = new RecordingLogger();

        var loaded = QuietStarCheckpoint.Load(checkpoint);
        using var model = loaded.Model;
        using var trainer = QuietStarTrainer.Resume(loaded, options with { Steps = 5 }, logger);

        logger.Entries.Should().NotContain(e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public void Resuming_without_the_optimizer_file_throws_file_not_found_naming_the_file()
    {
        using var folder = new TempFolder();
        string checkpoint = Path.Combine(folder.Path, "run");
        var options = TinyTraining.Options with { Steps = 2 };
        SaveRun(options, checkpoint);
        var loaded = QuietStarCheckpoint.Load(checkpoint);
        using var model = loaded.Model;
        string optimizer = Path.Combine(loaded.Folder, QuietStarCheckpoint.OptimizerFileName);
        File.Delete(optimizer);

        var act = () => QuietStarTrainer.Resume(loaded, options with { Steps = 3 });

        act.Should().Throw<FileNotFoundException>()
            .Where(e => e.FileName == optimizer && e.Message.Contains(optimizer) && e.Message.Contains("optimizer state"));
    }

    [Fact]
    public void A_run_stopped_at_step_3_of_a_10_step_warm_up_and_resumed_has_the_same_learning_rates_and_final_loss_bits()
    {
        var options = TinyTraining.Options with
        {
            Steps = 10, WarmupSteps = 10, Schedule = LearningRateSchedule.Constant, EvalEvery = 0, GradientAccumulation = 1,
        };
        using var folder = new TempFolder();
        string checkpoint = Path.Combine(folder.Path, "run");
        var straightRates = new List<(int Step, double Rate)>();
        var resumedRates = new List<(int Step, double Rate)>();

        using var straightModel = TinyTraining.Model(tokenizer);
        TrainingReport straight;
        using (var trainer = new QuietStarTrainer(straightModel, tokenizer, options))
        {
            straight = trainer.Train(corpus, new SynchronousProgress<TrainingProgress>(p => straightRates.Add((p.Step, p.LearningRate))));
        }

        SaveRun(options with { Steps = 3 }, checkpoint);
        var loaded = QuietStarCheckpoint.Load(checkpoint);
        using var resumedModel = loaded.Model;
        using var resumedTrainer = QuietStarTrainer.Resume(loaded, options);
        var resumed = resumedTrainer.Train(corpus, new SynchronousProgress<TrainingProgress>(p => resumedRates.Add((p.Step, p.LearningRate))));

        // Linear warm-up over 10 steps: the rates of steps 4…10 still rise, so a warm-up restarted on resume shows.
        straightRates.Skip(3).Select(r => r.Rate).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        resumedRates.Should().Equal(straightRates.Skip(3), "the resumed run continues the warm-up at step 4 with the uninterrupted run's rates");
        resumed.StartStep.Should().Be(3);
        BitConverter.DoubleToInt64Bits(resumed.FinalMetrics!.Loss).Should().Be(BitConverter.DoubleToInt64Bits(straight.FinalMetrics!.Loss));
        TinyTraining.Bits(resumedModel.LanguageModel.EmbeddingWeight).Should().Equal(TinyTraining.Bits(straightModel.LanguageModel.EmbeddingWeight));
    }

    private void SaveRun(TrainingOptions options, string checkpoint)
    {
        using var model = TinyTraining.Model(tokenizer);
        using var trainer = new QuietStarTrainer(model, tokenizer, options with { CheckpointFolder = checkpoint });
        trainer.Train(corpus);
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
