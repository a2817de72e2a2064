using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;
using QuietStar.Core.Tests.Checkpoints;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;

namespace QuietStar.Core.Tests.Building;

/// <summary>The pipeline's products (generators, resumed trainers, validation) use the pipeline's own model and components.</summary>
public sealed class QuietStarPipelineTests : IDisposable
{
    private readonly TempFolder temp = new();

    private static ModelSource Stories => ModelSource.Llama2c(Stories260K.CheckpointPath, Stories260K.TokenizerPath);

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Plain_generation_never_emits_the_thought_tokens()
    {
        using var pipeline = QuietStarBuilder.Create().UseModel(Stories).UseOptions(TinyTraining.Thoughts).Build();
        int start = pipeline.Model.StartThoughtId, end = pipeline.Model.EndThoughtId;
        using (torch.no_grad())
        {
            // START or END has the top logit at every step: ±1e4 times the first hidden unit, the other units 0.
            var classifier = pipeline.Model.LanguageModel.ClassifierWeight;                  // [V + 2, H]
            classifier[start].zero_();
            classifier[start][0].fill_(1e4);
            classifier[end].zero_();
            classifier[end][0].fill_(-1e4);
        }

        var text = pipeline.CreateTextGenerator().Generate("Once upon a time", new GenerationOptions { MaxTokens = 8, Greedy = true, StopAtEos = false });

        text.TokenIds.Should().HaveCount(8);
        text.TokenIds.Should().OnlyContain(id => id < pipeline.Model.BaseVocabularySize, "START/END are thoughts, never text");
        text.Text.Should().NotContain("thought");
    }

    [Fact]
    public void A_resumed_trainer_trains_the_pipelines_own_model_and_save_writes_the_trained_weights()
    {
        string checkpoint = temp.File("run");
        var corpus = (Func<QuietStarPipeline, QuietStar.Core.Data.TextCorpus>)(p => TinyTraining.Corpus(p.Tokenizer));
        using (var first = QuietStarBuilder.Create().UseModel(Stories).UseOptions(TinyTraining.Thoughts).Build())
        {
            using var trainer = first.CreateTrainer(o => Fast(o, steps: 1, checkpoint));
            trainer.Train(corpus(first));
        }

        using var pipeline = QuietStarBuilder.Create().UseModel(ModelSource.Checkpoint(checkpoint)).Build();
        var saved = TinyTraining.Snapshot(pipeline.Model);
        using var resumed = pipeline.ResumeTrainer(checkpoint, o => Fast(o, steps: 2, checkpoint: null));

        resumed.Model.Should().BeSameAs(pipeline.Model, "the pipeline owns and saves the model its trainers train");
        resumed.CompletedSteps.Should().Be(1);
        resumed.Train(corpus(pipeline));
        var trained = TinyTraining.Snapshot(pipeline.Model);
        TinyTraining.Bits(trained["language_model.model.norm.weight"]).Should().NotEqual(TinyTraining.Bits(saved["language_model.model.norm.weight"]));

        pipeline.Save(temp.File("after"));
        using var reloaded = QuietStarBuilder.Create().UseModel(ModelSource.Checkpoint(temp.File("after"))).Build();
        foreach (var (name, value) in TinyTraining.Snapshot(reloaded.Model))
        {
            TinyTraining.Bits(value).Should().Equal(TinyTraining.Bits(trained[name]), name);
        }
    }

    [Fact]
    public void Resuming_from_an_inference_checkpoint_is_refused_before_the_pipelines_weights_change()
    {
        using var pipeline = QuietStarBuilder.Create().UseModel(Stories).UseOptions(TinyTraining.Thoughts).Build();
        pipeline.Save(temp.File("inference"));
        using (torch.no_grad())
        {
            pipeline.Model.LanguageModel.EmbeddingWeight.add_(1.0f);
        }

        var before = TinyTraining.Bits(pipeline.Model.LanguageModel.EmbeddingWeight);
        var act = () => pipeline.ResumeTrainer(temp.File("inference"));

        act.Should().Throw<InvalidOperationException>().WithMessage("*saved for inference*");
        TinyTraining.Bits(pipeline.Model.LanguageModel.EmbeddingWeight).Should().Equal(before);
    }

    [Fact]
    public void Resuming_a_checkpoint_that_does_not_fit_the_pipelines_model_is_refused_and_leaves_it_unchanged()
    {
        string checkpoint = temp.File("run");
        using (var first = QuietStarBuilder.Create().UseModel(Stories).UseOptions(TinyTraining.Thoughts).Build())
        {
            using var trainer = first.CreateTrainer(o => Fast(o, steps: 1, checkpoint));
            trainer.Train(TinyTraining.Corpus(first.Tokenizer));
        }

        using var pipeline = QuietStarBuilder.Create()
            .UseModel(Stories)
            .UseOptions(TinyTraining.Thoughts)
            .ConfigureOptions(o => o.ThoughtEmbeddingGradientScale = 10)
            .Build();
        var before = TinyTraining.Bits(pipeline.Model.LanguageModel.EmbeddingWeight);
        var act = () => pipeline.ResumeTrainer(checkpoint, o => Fast(o, steps: 2, checkpoint: null));

        act.Should().Throw<InvalidDataException>().WithMessage("*does not fit this model*ThoughtEmbeddingGradientScale is 100, the model's 10*");
        TinyTraining.Bits(pipeline.Model.LanguageModel.EmbeddingWeight).Should().Equal(before);
    }

    [Fact]
    public void Validation_during_training_uses_the_pipelines_custom_components()
    {
        var thoughts = new CountingThoughtGenerator();
        var loss = new CountingTeacherForcingLoss();
        using var pipeline = QuietStarBuilder.Create()
            .UseModel(Stories)
            .UseOptions(TinyTraining.Thoughts)
            .UseThoughtGenerator(thoughts)
            .UseTeacherForcingLoss(loss)
            .Build();
        using var trainer = pipeline.CreateTrainer(o =>
        {
            Fast(o, steps: 1, checkpoint: null);
            o.EvalEvery = 1;
        });

        var report = trainer.Train(TinyTraining.Corpus(pipeline.Tokenizer));

        report.FinalValidation.Should().NotBeNull();
        thoughts.Calls.Should().Be(2, "one training micro-batch and one validation batch");
        loss.Calls.Should().Be(2);
    }

    private static void Fast(TrainingOptions o, int steps, string? checkpoint) => TinyTraining.Fast(o, steps, checkpoint);


    private sealed class CountingTeacherForcingLoss : ITeacherForcingLoss
    {
        private readonly NonMyopicLoss inner = new();

        public int Calls { get; private set; }

        public TeacherForcingResult Compute(TorchSharp.torch.Tensor baseLogits, IReadOnlyList<TorchSharp.torch.Tensor> talkLogits,
            TorchSharp.torch.Tensor targets, TorchSharp.torch.Tensor targetIsReal, double baseLossWeight)
        {
            Calls++;
            return inner.Compute(baseLogits, talkLogits, targets, targetIsReal, baseLossWeight);
        }
    }
}
