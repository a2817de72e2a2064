using FluentAssertions;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;

namespace QuietStar.Core.Tests.Training;

/// <summary>Every invalid setting fails before a step is taken, with a message that names the option.</summary>
public sealed class TrainingOptionsValidationTests
{
    public static TheoryData<string, TrainingOptions> InvalidOptions => new()
    {
        { "Steps", TinyTraining.Options with { Steps = 0 } },
        { "LearningRate", TinyTraining.Options with { LearningRate = -1e-3 } },
        { "WeightDecay", TinyTraining.Options with { WeightDecay = -0.1 } },
        { "WarmupSteps", TinyTraining.Options with { WarmupSteps = -1 } },
        { "MaxGradNorm", TinyTraining.Options with { MaxGradNorm = 0 } },
        { "BatchSize", TinyTraining.Options with { BatchSize = 0 } },
        { "GradientAccumulation", TinyTraining.Options with { GradientAccumulation = -2 } },
        { "SequenceLength", TinyTraining.Options with { SequenceLength = 0 } },
        { "SequenceLength", TinyTraining.Options with { SequenceLength = -16 } },
        { "ValidationFraction", TinyTraining.Options with { ValidationFraction = 1.0 } },
        { "EvalEvery", TinyTraining.Options with { EvalEvery = -1 } },
        { "EvalBatches", TinyTraining.Options with { EvalBatches = 0 } },
        { "CheckpointEvery", TinyTraining.Options with { CheckpointEvery = 5 } },
        { "Beta2", TinyTraining.Options with { Beta2 = 1.0 } },
    };

    [Fact]
    public void Plain_language_model_steps_can_be_set_in_a_configure_delegate_like_every_other_option()
    {
        // CreateTrainer(o => o.PlainLanguageModelSteps = 10) must compile: the option is settable, not init-only.
        Action<TrainingOptions> configure = o => o.PlainLanguageModelSteps = 10;
        var options = new TrainingOptions();
        configure(options);
        options.PlainLanguageModelSteps.Should().Be(10);
    }

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Invalid_training_options_fail_at_construction_naming_the_option(string option, TrainingOptions options)
    {
        var tokenizer = TinyTraining.Tokenizer();
        using var model = TinyTraining.Model(tokenizer);

        var act = () => new QuietStarTrainer(model, tokenizer, options);

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == option && e.Message.Contains($"TrainingOptions.{option}"));
    }

    [Fact]
    public void Sequences_plus_thought_positions_beyond_the_context_are_refused_unless_no_thoughts()
    {
        var tokenizer = TinyTraining.Tokenizer();
        using var model = TinyTraining.Model(tokenizer);                       // context 128, 6 forward passes
        var tooLong = TinyTraining.Options with { SequenceLength = 125 };

        var act = () => new QuietStarTrainer(model, tokenizer, tooLong);
        using var plain = new QuietStarTrainer(model, tokenizer, tooLong with { NoThoughts = true });

        act.Should().Throw<ArgumentException>().WithMessage("TrainingOptions.SequenceLength 125 plus 5 thought/talk positions exceeds the model's context of 128*");
    }

    [Fact]
    public void Sequences_too_short_for_the_talk_tokens_are_refused()
    {
        var tokenizer = TinyTraining.Tokenizer();
        using var model = TinyTraining.Model(tokenizer);

        var act = () => new QuietStarTrainer(model, tokenizer, TinyTraining.Options with { SequenceLength = 3 });

        act.Should().Throw<ArgumentException>().WithMessage("TrainingOptions.SequenceLength 3 is too short*");
    }

    [Fact]
    public void One_pass_with_the_mean_baseline_is_refused_naming_passes()
    {
        var tokenizer = TinyTraining.Tokenizer();

        var act = () => TinyTraining.Model(tokenizer, options: TinyTraining.Thoughts with { Passes = 1 });

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "Passes" && e.Message.Contains("mean baseline needs at least 2 passes"));
    }

    [Fact]
    public void Thought_token_ids_inside_the_tokenizer_vocabulary_are_refused()
    {
        var tokenizer = TinyTraining.Tokenizer();                              // 512 tokens
        using var model = TinyQuietStar.Create(TinyTraining.Thoughts);         // vocabulary 96: START/END are 96/97

        var act = () => new QuietStarTrainer(model, tokenizer, TinyTraining.Options);

        act.Should().Throw<ArgumentException>().WithMessage("Thought token ids 96/97 collide with the tokenizer's own vocabulary of 512 tokens*");
    }

    [Fact]
    public void Unknown_files_are_named()
    {
        var tokenizer = TinyTraining.Tokenizer();
        string missing = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}");

        var corpus = () => TextCorpus.Load(missing + ".txt", tokenizer);
        var checkpoint = () => QuietStarCheckpoint.Load(missing);

        corpus.Should().Throw<FileNotFoundException>().WithMessage($"*{missing}.txt*");
        checkpoint.Should().Throw<DirectoryNotFoundException>().WithMessage($"*{missing}*");
    }

    [Fact]
    public void A_corpus_shorter_than_one_sequence_fails_before_the_first_step()
    {
        var tokenizer = TinyTraining.Tokenizer();
        using var model = TinyTraining.Model(tokenizer);
        var before = TinyTraining.Snapshot(model);
        using var trainer = new QuietStarTrainer(model, tokenizer, TinyTraining.Options with { ValidationFraction = 0, SequenceLength = 64 });
        var corpus = TextCorpus.FromReader(new StringReader("Short.\n\nAlso short."), "short.txt", tokenizer);

        var act = () => trainer.Train(corpus);

        act.Should().Throw<ArgumentException>().WithMessage("*fewer than one sequence of 64*");
        trainer.CompletedSteps.Should().Be(0);
        TinyTraining.Bits(model.LanguageModel.EmbeddingWeight).Should().Equal(TinyTraining.Bits(before["language_model.model.embed_tokens.weight"]));
    }
}
