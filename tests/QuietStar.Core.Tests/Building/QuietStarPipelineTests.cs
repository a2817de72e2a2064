using FluentAssertions;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;
using QuietStar.Core.Tests.Checkpoints;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Thinking;
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

    private static void Fast(TrainingOptions o, int steps, string? checkpoint)
    {
        o.Steps = steps;
        o.LearningRate = 1e-2;
        o.BatchSize = 1;
        o.GradientAccumulation = 1;
        o.SequenceLength = 16;
        o.WarmupSteps = 0;
        o.EvalEvery = 0;
        o.EvalBatches = 1;
        o.ValidationFraction = 0.2;
        o.CheckpointFolder = checkpoint;
    }

    private sealed class CountingThoughtGenerator : IThoughtGenerator
    {
        private readonly ParallelThoughtGenerator inner = new();

        public int Calls { get; private set; }

        public ThoughtRollout Generate(ThoughtRequest request)
        {
            Calls++;
            return inner.Generate(request);
        }
    }

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
