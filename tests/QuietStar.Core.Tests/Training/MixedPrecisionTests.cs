using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Checkpoints;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using QuietStar.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training;

/// <summary>
/// <see cref="MixedPrecision.BFloat16"/> training: forward and backward on a bfloat16 copy, float32 master weights,
/// gradients and AdamW moments; it tracks float32 training of the same seed within bf16's rounding, and keeps
/// updates that bfloat16 weights alone would round away.
/// </summary>
public sealed class MixedPrecisionTests
{
    private readonly TextTokenizer tokenizer = TinyTraining.Tokenizer();
    private readonly TextCorpus corpus;

    public MixedPrecisionTests() => corpus = TinyTraining.Corpus(tokenizer);

    private static TrainingOptions Options(MixedPrecision precision, int steps = 4, double lr = 1e-2) => TinyTraining.Options with
    {
        Steps = steps,
        LearningRate = lr,
        WarmupSteps = 0,
        Schedule = LearningRateSchedule.Constant,
        EvalEvery = 0,
        MixedPrecision = precision,
    };

    [Fact]
    public void Master_weights_their_gradients_and_adamw_moments_are_float32_while_the_compute_copy_is_bfloat16()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyTraining.Model(tokenizer, seed: 11);
        using var trainer = new QuietStarTrainer(model, tokenizer, Options(MixedPrecision.BFloat16, steps: 1));
        trainer.Train(corpus);

        trainer.Model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32, "the model's own parameters are the float32 masters");
        trainer.Model.parameters().Where(p => p.grad is not null).Should().NotBeEmpty()
            .And.OnlyContain(p => p.grad!.dtype == ScalarType.Float32, "the masters receive float32 gradients");
        trainer.ComputeModel.Should().NotBeSameAs(trainer.Model);
        trainer.ComputeModel.parameters().Should().NotBeEmpty().And.OnlyContain(p => p.dtype == ScalarType.BFloat16, "forward and backward run in bfloat16");
        trainer.ComputeModel.parameters().Where(p => p.grad is not null).Should().NotBeEmpty()
            .And.OnlyContain(p => p.grad!.dtype == ScalarType.BFloat16);
        var moments = trainer.Optimizer.state_dict().State.Cast<AdamW.State>().ToList();
        moments.Should().HaveCount(model.parameters().Count()).And.OnlyContain(s => s.exp_avg.dtype == ScalarType.Float32 && s.exp_avg_sq.dtype == ScalarType.Float32);
    }

    [Fact]
    public void A_few_steps_track_float32_training_of_the_same_seed_within_bfloat16_rounding_yet_differ_from_it()
    {
        using var scope = torch.NewDisposeScope();
        // lr 1e-3: four steps move a weight by at most 0.004, so float32 and bf16 runs stay comparable.
        var (fp32Loss, fp32Weights) = Train(MixedPrecision.None);
        var (mixedLoss, mixedWeights) = Train(MixedPrecision.BFloat16);

        // The base NLL (the total loss adds a REINFORCE term of noisy sampled thoughts). bf16 keeps 8 significant bits
        // (unit roundoff u = 2⁻⁸ ≈ 0.0039): each rounded weight and activation carries a relative error ≤ u, and a
        // 2-layer model sums a few dozen such errors into logits of size O(1), so the mean NLL (≈ ln 514 ≈ 6.2) moves by
        // O(10u) ≈ 0.04; 0.1 leaves room for four steps whose updates differ by as much.
        var gaps = fp32Loss.Zip(mixedLoss, (a, b) => Math.Abs(a - b)).ToList();
        gaps.Should().OnlyContain(gap => gap < 0.1, $"losses {string.Join(", ", fp32Loss.Select(l => l.ToString("F4")))} vs {string.Join(", ", mixedLoss.Select(l => l.ToString("F4")))}");
        gaps.Max().Should().BeGreaterThan(1e-6, "the steps ran in bfloat16, not in float32 (a flag that is ignored gives equal losses)");
        double weightGap = fp32Weights.Zip(mixedWeights, (a, b) => TinyQuietStar.MaxAbsDiff(a, b)).Max();
        weightGap.Should().BeGreaterThan(0).And.BeLessThan(0.01, "four AdamW steps of lr 1e-3 move a weight by at most 0.004 either way");

        (List<double> Losses, List<Tensor> Weights) Train(MixedPrecision precision)
        {
            var losses = new List<double>();
            var model = TinyTraining.Model(tokenizer, seed: 12);
            using var trainer = new QuietStarTrainer(model, tokenizer, Options(precision, lr: 1e-3));
            trainer.Train(corpus, new SynchronousProgress<TrainingProgress>(p => losses.Add(p.Metrics.BaseNll)));
            return (losses, model.parameters().Select(p => p.detach().clone()).ToList());
        }
    }

    [Fact]
    public void An_update_too_small_for_bfloat16_weights_accumulates_in_the_float32_masters()
    {
        using var scope = torch.NewDisposeScope();
        // AdamW moves each weight by about lr = 1e-5 per step; for |w| ≥ 0.02 that is below half a bf16 spacing
        // (|w|·2⁻⁸ ≥ 7.8e-5 spacing), so weights kept in bfloat16 round every update away.
        const double lr = 1e-5;
        var options = Options(MixedPrecision.BFloat16, steps: 3, lr: lr) with { WeightDecay = 0 };

        using var mixed = TinyTraining.Model(tokenizer, seed: 13);
        using (torch.no_grad())
        {
            foreach (var p in mixed.parameters())
            {
                p.copy_(p.to_type(ScalarType.BFloat16));                  // start on the bf16 grid: only updates can move a weight off it
            }
        }

        var before = Matrices(mixed).Select(p => p.detach().clone()).ToList();
        using (var trainer = new QuietStarTrainer(mixed, tokenizer, options))
        {
            trainer.Train(corpus);
        }

        using var pure = BFloat16Model(seed: 13);
        var pureBefore = Matrices(pure).Select(p => p.detach().clone()).ToList();
        using (var trainer = new QuietStarTrainer(pure, tokenizer, options with { MixedPrecision = MixedPrecision.None }))
        {
            trainer.Train(corpus);
        }

        double mixedMoved = MovedFraction(before, Matrices(mixed));
        double pureMoved = MovedFraction(pureBefore, Matrices(pure));
        mixedMoved.Should().BeGreaterThan(0.9, "the float32 masters keep every small update");
        pureMoved.Should().BeLessThan(0.1, "the same updates on bfloat16 weights round back to the old values (the reason for master weights)");

        QuietStarModel BFloat16Model(long seed)
        {
            var lm = TinyModels.Create(seed, vocab: tokenizer.BaseVocabularySize, dtype: ScalarType.BFloat16);
            int init = ThoughtInitToken.Choose(tokenizer.Encode("---"), id => tokenizer.Decode([id]), ThoughtInitRule.SkipDummyPrefix);
            return QuietStarModel.Create(lm, init, TinyTraining.Thoughts, new Generator((ulong)seed + 100));
        }

        static List<Tensor> Matrices(QuietStarModel model) =>
            [.. model.named_parameters().Where(p => p.name.Contains(".layers.", StringComparison.Ordinal) && p.parameter.dim() == 2).Select(p => p.parameter)];

        static double MovedFraction(List<Tensor> before, List<Tensor> after)
        {
            double moved = 0, counted = 0;
            foreach (var (b, a) in before.Zip(after))
            {
                var large = b.abs().ge(0.02);                               // same shape as the weight
                moved += (a.ne(b) & large).sum().item<long>();
                counted += large.sum().item<long>();
            }

            return moved / counted;
        }
    }

    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void A_model_that_is_not_float32_is_refused_with_what_to_do(ScalarType dtype)
    {
        using var model = TinyTraining.Model(tokenizer, seed: 14);
        model.to(dtype);

        var create = () => new QuietStarTrainer(model, tokenizer, Options(MixedPrecision.BFloat16));

        create.Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("TrainingOptions.MixedPrecision").And.Contain(dtype.ToString()).And.Contain("float32").And.Contain("set MixedPrecision to None");
    }

    [Fact]
    public void A_checkpoint_holds_the_float32_masters_and_a_resume_continues_bit_for_bit()
    {
        var options = Options(MixedPrecision.BFloat16, steps: 4, lr: 1e-3);
        using var folder = new TempFolder();
        string checkpoint = Path.Combine(folder.Path, "run");

        using var straightModel = TinyTraining.Model(tokenizer, seed: 15);
        TrainingReport straight;
        using (var trainer = new QuietStarTrainer(straightModel, tokenizer, options))
        {
            straight = trainer.Train(corpus);
        }

        using (var firstModel = TinyTraining.Model(tokenizer, seed: 15))
        {
            using var trainer = new QuietStarTrainer(firstModel, tokenizer, options with { Steps = 2, CheckpointFolder = checkpoint });
            trainer.Train(corpus);
        }

        var loaded = QuietStarCheckpoint.Load(checkpoint);
        using var resumedModel = loaded.Model;
        resumedModel.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32, "the checkpoint holds the float32 masters");
        using var resumedTrainer = QuietStarTrainer.Resume(loaded, options);
        var resumed = resumedTrainer.Train(corpus);

        resumed.FinalMetrics!.Loss.Should().Be(straight.FinalMetrics!.Loss);
        var expected = TinyTraining.Snapshot(straightModel);
        foreach (var (name, value) in TinyTraining.Snapshot(resumedModel))
        {
            TinyTraining.Bits(value).Should().Equal(TinyTraining.Bits(expected[name]), name);
        }
    }
}
