using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training;

/// <summary>
/// The trainer's numerics against a hand computation in float64: the same micro-batches and thought samples, gradients
/// averaged over the accumulation steps by hand, the global norm and the clip by hand, AdamW written out (decoupled decay
/// on matrices only, bias correction), and the warmed-up learning rate of every group.
/// </summary>
public sealed class TrainerNumericsTests
{
    private readonly TextTokenizer tokenizer = TinyTraining.Tokenizer();
    private readonly TextCorpus corpus;

    public TrainerNumericsTests() => corpus = TinyTraining.Corpus(tokenizer);

    [Fact]
    public void Two_steps_equal_hand_made_accumulation_clipping_and_adamw_with_decay_on_matrices_only_at_the_warmed_up_rate()
    {
        using var scope = torch.NewDisposeScope();
        // ε = 1e-4 makes the update depend on the gradient's scale (with ε ≈ 0 Adam would hide a wrong average or clip).
        var options = new TrainingOptions
        {
            Steps = 2,
            LearningRate = 1e-2,
            WeightDecay = 0.1,
            WarmupSteps = 3,
            MaxGradNorm = 0.5,
            Epsilon = 1e-4,
            BatchSize = 2,
            GradientAccumulation = 2,
            SequenceLength = 16,
            Seed = 7,
            ValidationFraction = 0.2,
            EvalEvery = 0,
        };
        using var trained = Model();
        using var byHand = Model();
        var reports = new List<TrainingProgress>();
        using (var trainer = new QuietStarTrainer(trained, tokenizer, options))
        {
            trainer.Train(corpus, new SynchronousProgress<TrainingProgress>(reports.Add));
        }

        // The same data and thoughts: the trainer's split, sampler and thought generator, seeded alike.
        var sampler = new SequenceSampler(corpus.Split(options.ValidationFraction, options.Seed).Train, options.SequenceLength, options.Seed);
        var thoughts = new Generator((ulong)options.Seed);
        var objective = new QuietStarObjective(byHand);
        var parameters = byHand.named_parameters().ToList();
        var m = parameters.ToDictionary(p => p.name, p => torch.zeros_like(p.parameter));
        var v = parameters.ToDictionary(p => p.name, p => torch.zeros_like(p.parameter));
        for (int step = 1; step <= options.Steps; step++)
        {
            double lr = options.LearningRate * Math.Min(step, options.WarmupSteps) / options.WarmupSteps;  // linear warm-up, then constant
            var sum = parameters.ToDictionary(p => p.name, p => torch.zeros_like(p.parameter));
            for (int micro = 0; micro < options.GradientAccumulation; micro++)
            {
                byHand.zero_grad();
                var batch = sampler.NextBatch(options.BatchSize);
                objective.Compute(batch.InputIds, batch.IsReal, thoughts, step: step - 1).Loss.backward();
                foreach (var (name, p) in parameters)
                {
                    sum[name] += p.grad ?? torch.zeros_like(p);
                }
            }

            var gradient = sum.ToDictionary(g => g.Key, g => g.Value / options.GradientAccumulation);      // the average, not the sum
            double norm = Math.Sqrt(gradient.Values.Sum(g => g.square().sum().item<double>()));
            double clip = Math.Min(1, options.MaxGradNorm / (norm + 1e-6));
            reports[step - 1].GradientNorm.Should().BeApproximately(norm, 1e-10 * norm, "the reported norm is the pre-clip global L2 norm");
            reports[step - 1].LearningRate.Should().BeApproximately(lr, 1e-15, $"warm-up step {step} of {options.WarmupSteps}");
            norm.Should().BeGreaterThan(options.MaxGradNorm, "the clip is active, so a wrong clip would show");

            using var noGrad = torch.no_grad();
            foreach (var (name, p) in parameters)
            {
                var g = gradient[name] * clip;
                double decay = p.dim() >= 2 ? options.WeightDecay : 0.0;                               // matrices only: no norms, biases, START/END
                m[name] = (options.Beta1 * m[name]) + ((1 - options.Beta1) * g);
                v[name] = (options.Beta2 * v[name]) + ((1 - options.Beta2) * g.square());
                var mHat = m[name] / (1 - Math.Pow(options.Beta1, step));
                var vHat = v[name] / (1 - Math.Pow(options.Beta2, step));
                p.mul_(1 - (lr * decay));
                p.sub_(lr * mHat / (vHat.sqrt() + options.Epsilon));
            }
        }

        var expected = byHand.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var decayedGroup = trained.named_parameters().Where(p => p.parameter.dim() >= 2).Select(p => p.name).ToList();
        decayedGroup.Should().Contain("talk_head.input.weight").And.NotContain("thought_embeddings.start_embedding")
            .And.NotContain("language_model.model.norm.weight");
        foreach (var (name, p) in trained.named_parameters())
        {
            double difference = (p - expected[name]).abs().max().item<double>();
            difference.Should().BeLessThan(1e-10, $"{name} after two steps");
        }
    }

    [Fact]
    public void Thirty_steps_on_a_tiny_corpus_lower_the_loss()
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyTraining.Options with { Steps = 30, LearningRate = 3e-3, Schedule = LearningRateSchedule.Constant, EvalEvery = 0 };
        using var model = TinyTraining.Model(tokenizer);
        var sampler = new SequenceSampler(corpus.Split(options.ValidationFraction, options.Seed).Validation, options.SequenceLength, seed: 99);
        var heldOut = sampler.NextBatch(4);
        double Loss()
        {
            using var noGrad = torch.no_grad();
            return new QuietStarObjective(model).Compute(heldOut.InputIds, heldOut.IsReal, new Generator(5)).LanguageModeling.Loss.item<float>();
        }

        double before = Loss();
        var reports = new List<TrainingProgress>();
        using (var trainer = new QuietStarTrainer(model, tokenizer, options))
        {
            trainer.Train(corpus, new SynchronousProgress<TrainingProgress>(reports.Add));
        }

        double after = Loss();
        reports.Should().HaveCount(30);
        after.Should().BeLessThan(before - 1.0, "the held-out LM loss falls (it starts near ln 514 ≈ 6.2)");
        reports.TakeLast(5).Average(r => r.Metrics.LanguageModelingLoss).Should().BeLessThan(reports.Take(5).Average(r => r.Metrics.LanguageModelingLoss) - 1.0);
    }

    /// <summary>A float64 vocab-512 model equipped for Quiet-STaR with a live mixing head.</summary>
    private QuietStarModel Model()
    {
        var lm = TinyModels.Create(seed: 3, vocab: tokenizer.BaseVocabularySize, dtype: ScalarType.Float64);
        int init = ThoughtInitToken.Choose(tokenizer.Encode("---"), id => tokenizer.Decode([id]), ThoughtInitRule.SkipDummyPrefix);
        var model = QuietStarModel.Create(lm, init, TinyTraining.Thoughts, new Generator(103));
        using var noGrad = torch.no_grad();
        model.named_parameters().Single(p => p.name == "talk_head.output.weight").parameter.normal_(0, 0.5, new Generator(104));
        return model;
    }
}
