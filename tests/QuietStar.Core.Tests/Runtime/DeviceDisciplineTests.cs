using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;
using QuietStar.Core.Testing;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Runtime;

/// <summary>
/// Tests that change process-wide state (TorchSharp's default device, environment variables); xunit runs this
/// collection alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultDeviceCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Process-wide torch state or environment changed";
}

/// <summary>
/// Every tensor the library creates must be created on the model's device (or be a pure function of tensors that
/// are), never on an implicit default: on CUDA a tensor made with <c>torch.zeros(n)</c> lands on the CPU and the first
/// op that meets a CUDA tensor fails, or copies silently. No CUDA backend is served on these machines, so the test makes
/// the mistake fail on the CPU instead: the model lives on the CPU while TorchSharp's default device is <c>meta</c>
/// (shapes, no data). A factory call without an explicit device then makes a meta tensor, and the first op that
/// meets one of the model's CPU tensors throws "Expected all tensors to be on the same device, but found at least two
/// devices, meta and cpu". Removing the <c>device:</c> argument from the position ids of the objective's base pass
/// makes <see cref="A_training_run_with_validation_and_a_checkpoint_stays_on_the_models_device"/> fail that way.
/// </summary>
[Collection(DefaultDeviceCollection.Name)]
public sealed class DeviceDisciplineTests
{
    [Fact]
    public void The_guard_is_live_a_factory_call_without_a_device_makes_a_meta_tensor()
    {
        using var guard = new MetaDefaultDevice();
        using var implicitDevice = torch.zeros(3);
        using var cpu = torch.zeros(3, device: CPU);

        implicitDevice.device_type.Should().Be(DeviceType.META);
        var mixing = () => (implicitDevice + cpu).Dispose();
        mixing.Should().Throw<Exception>().WithMessage("*same device*");
    }

    [Theory]
    [InlineData(MixedPrecision.None)]
    [InlineData(MixedPrecision.BFloat16)]
    public void A_training_run_with_validation_and_a_checkpoint_stays_on_the_models_device(MixedPrecision precision)
    {
        string folder = Path.Combine(Path.GetTempPath(), "qs-device-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var pipeline = TestModels.TinyPipeline(seed: 3);
            var corpus = TinyTraining.Corpus(pipeline.Tokenizer);
            using (new MetaDefaultDevice())
            {
                using var trainer = pipeline.CreateTrainer(o => Configure(o, steps: 2, folder, precision));

                var report = trainer.Train(corpus);

                report.FinalValidation.Should().NotBeNull();
                double.IsFinite(report.FinalValidation!.TalkNll).Should().BeTrue();
            }

            using (new MetaDefaultDevice())
            {
                using var resumed = QuietStarBuilder.Create().UseModel(ModelSource.FromPath(folder)).Build();
                using var trainer = resumed.ResumeTrainer(folder, o => Configure(o, steps: 3, folder, precision));
                trainer.Train(corpus).Steps.Should().Be(3);
            }
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData(ThoughtAttention.Diagonal, MixingSpace.Logits)]
    [InlineData(ThoughtAttention.Masked, MixingSpace.Hidden)]
    public void The_objective_with_every_optional_term_stays_on_the_models_device(ThoughtAttention attention, MixingSpace space)
    {
        using var pipeline = TestModels.TinyPipeline(seed: 5, o =>
        {
            o.Attention = attention;
            o.MixingSpace = space;
            o.RewardFromThought = true;
            o.NormalizeAdvantages = true;
            o.ThoughtEntropyWeight = 0.1;
            o.ThoughtKlWeight = 0.1;
            o.PolicyWeightWarmupSteps = 3;
        });
        using var ids = torch.randint(0, 200, [2, 10], dtype: ScalarType.Int64, device: CPU, generator: new Generator(6));
        using var isReal = torch.ones([2, 10], dtype: ScalarType.Bool, device: CPU);
        isReal[1, 7..] = torch.tensor(false, device: CPU);
        using var guard = new MetaDefaultDevice();

        var result = pipeline.CreateObjective().Compute(ids, isReal, new Generator(7, CPU), step: 1);
        result.Loss.backward();

        float.IsFinite(result.Loss.item<float>()).Should().BeTrue();
        pipeline.Model.parameters().Where(p => p.grad is not null).Select(p => p.grad!.device_type).Should().NotBeEmpty().And.OnlyContain(d => d == DeviceType.CPU);
    }

    [Fact]
    public async Task Quiet_plain_and_batch_generation_and_inspection_stay_on_the_models_device()
    {
        using var pipeline = TestModels.TinyPipeline(seed: 4);
        using var guard = new MetaDefaultDevice();
        var options = new GenerationOptions { MaxTokens = 6, Seed = 5, StopAtEos = false };

        var pieces = new List<GenerationPiece>();
        await foreach (var piece in pipeline.GenerateAsync("ab", options))
        {
            pieces.Add(piece);
        }

        var batch = await pipeline.GenerateBatchAsync(["ab", "cde"], options);
        var plain = pipeline.CreateTextGenerator().Generate("ab", options);
        var inspection = await pipeline.InspectAsync("abcdef");

        pieces.Should().NotBeEmpty();
        batch.Should().HaveCount(2);
        plain.Should().NotBeNull();
        inspection.Should().NotBeEmpty();
    }

    private static void Configure(TrainingOptions o, int steps, string folder, MixedPrecision precision)
    {
        TinyTraining.Fast(o, steps, folder);
        o.BatchSize = 2;              // two sequences in each of two micro-batches: accumulation runs too
        o.GradientAccumulation = 2;
        o.WarmupSteps = 1;
        o.EvalEvery = 1;
        o.CheckpointEvery = 1;
        o.MixedPrecision = precision;
    }

    /// <summary>Sets TorchSharp's default device to <c>meta</c> until disposed.</summary>
    private sealed class MetaDefaultDevice : IDisposable
    {
        private readonly Device previous = torch.get_default_device();

        public MetaDefaultDevice() => torch.set_default_device(new Device(DeviceType.META));

        public void Dispose() => torch.set_default_device(previous);
    }
}
