using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training;

/// <summary>The arithmetic recipe's options beyond the reference do what they say, and the problem type guards its rules.</summary>
public sealed class RecipeOptionTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(30.0)]
    public void The_mixing_head_multiplier_scales_the_first_adam_step_of_exactly_the_head(double multiplier)
    {
        using var scope = torch.NewDisposeScope();
        var tokenizer = TinyTraining.Tokenizer();
        using var model = TinyTraining.Model(tokenizer, options: TinyTraining.Thoughts with { PolicyLossWeight = 0 });
        using (torch.no_grad())
        {
            // A live head, so every head parameter gets a gradient on the first step.
            foreach (var (name, p) in model.named_parameters().Where(p => p.name.StartsWith("talk_head.", StringComparison.Ordinal)))
            {
                p.normal_(0, 0.3, new Generator(9 + (ulong)name.Length));
            }
        }

        var before = TinyTraining.Snapshot(model);
        var options = TinyTraining.Options with
        {
            Steps = 1, WarmupSteps = 0, GradientAccumulation = 1, EvalEvery = 0, WeightDecay = 0, MixingHeadLearningRateMultiplier = multiplier,
        };
        using var trainer = new QuietStarTrainer(model, tokenizer, options);
        trainer.Train(TinyTraining.Corpus(tokenizer));

        // Adam's first step moves every coordinate with a gradient well above ε by lr·sign(g): the head's by multiplier·lr.
        double head = Median(model, before, name => name.StartsWith("talk_head.", StringComparison.Ordinal));
        double layers = Median(model, before, name => name.Contains(".layers.", StringComparison.Ordinal));

        layers.Should().BeApproximately(options.LearningRate, 0.05 * options.LearningRate);
        head.Should().BeApproximately(multiplier * options.LearningRate, 0.05 * multiplier * options.LearningRate);
    }

    [Fact]
    public void Restoring_with_another_thought_gradient_scale_keeps_the_trained_start_and_end_embeddings()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(new QuietStarOptions { ThoughtTokens = 2, TalkTokens = 2 }, seed: 41);
        var start = model.ThoughtEmbeddings.Start.detach().clone();                                 // [H], e = 100·p

        var restored = QuietStarModel.Restore(model.LanguageModel, model.ThoughtEmbeddings, model.MixingHead,
            model.Options with { ThoughtEmbeddingGradientScale = 10 }, model.StartThoughtId, model.EndThoughtId);

        restored.ThoughtEmbeddings.GradientScale.Should().Be(10);
        TinyQuietStar.MaxAbsDiff(restored.ThoughtEmbeddings.Start, start).Should().BeLessThan(1e-6f, "e is what was trained; only p = e/scale changes");
        TinyQuietStar.MaxAbsDiff(restored.ThoughtEmbeddings.End, model.ThoughtEmbeddings.End).Should().BeLessThan(1e-6f);
    }

    [Theory]
    [InlineData(100, 200, 3, true)]
    [InlineData(99, 200, 3, false)]    // operand of 2 digits
    [InlineData(100, 1000, 3, false)]  // operand of 4 digits
    [InlineData(100, 200, 0, false)]
    public void A_problem_needs_n_digit_operands(long a, long b, int digits, bool valid)
    {
        var act = () => new ArithmeticProblem(a, b, digits);
        if (valid)
        {
            act.Should().NotThrow();
        }
        else
        {
            act.Should().Throw<ArgumentOutOfRangeException>();
        }
    }

    [Fact]
    public void A_reserved_pair_cannot_even_be_constructed()
    {
        // 100·1000 + 204 = 100204 = 7·14314 + 6; 100·1000 + 201 = 100201 = 7·14314 + 3: reserved.
        var act = () => new ArithmeticProblem(100, 201, 3);

        act.Should().Throw<ArgumentException>().WithMessage("*reserved*");
        ArithmeticProblems.IsReserved(100, 201, 3).Should().BeTrue();
        ArithmeticProblems.IsReserved(100, 204, 3).Should().BeFalse();
    }

    private static double Median(QuietStarModel model, Dictionary<string, Tensor> before, Func<string, bool> which)
    {
        var steps = model.named_parameters().Where(p => which(p.name))
            .SelectMany(p => (p.parameter - before[p.name]).abs().flatten().data<float>().ToArray())
            .Where(d => d > 0).Order().ToArray();
        return steps[steps.Length / 2];
    }
}
