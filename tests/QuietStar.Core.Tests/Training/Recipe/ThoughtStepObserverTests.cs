using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training.Recipe;

/// <summary>
/// The thought entropy and KL are accumulated from each thought step's logits as the step is generated
/// (<see cref="ThoughtRequest.ReportThoughtStep"/>): the objective keeps no <c>[R, L, V]</c> tensor of a thought step, and a
/// generator that reports no step trains without the terms, or is refused when their weights are positive.
/// </summary>
public sealed class ThoughtStepObserverTests
{
    private const int Vocabulary = 96 + 2;

    [Fact]
    public void The_reference_generator_reports_every_thought_step_in_order_with_its_sampling_logits()
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions();
        using var model = TinyQuietStar.Create(options, seed: 61);
        var recorder = new RecordingThoughtGenerator(scope);

        var result = new QuietStarObjective(model, recorder).Compute(TinyModels.RandomIds(2, 9, 96, seed: 62), null, new Generator(63));

        recorder.Steps.Should().Equal(1, 2, 3);
        result.Regularization.ThoughtSteps.Should().Be(3);
        for (int k = 0; k < 3; k++)
        {
            recorder.Logits[k].shape.Should().Equal(4, 9, Vocabulary);
            var sampled = recorder.Logits[k].gather(-1, result.Rollout.ThoughtIds.select(-1, k).unsqueeze(-1)).squeeze(-1); // [R, L]
            sampled.gt(-1e9).all().item<bool>().Should().BeTrue("every sampled token has a finite logit (START/END are masked)");
            recorder.Logits[k].select(-1, model.StartThoughtId).max().item<float>().Should().Be(-1e10f);
        }
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.25)]
    public void The_objective_keeps_no_vocabulary_sized_tensor_beyond_those_of_its_result(double entropyWeight, double klWeight)
    {
        var options = TinyQuietStar.SmallOptions() with { ThoughtEntropyWeight = entropyWeight, ThoughtKlWeight = klWeight };
        using var model = TinyQuietStar.Create(options, seed: 64, liveHead: true);
        using var scope = torch.NewDisposeScope();

        var result = new QuietStarObjective(model).Compute(TinyModels.RandomIds(2, 9, 96, seed: 65), null, new Generator(66));

        int live = scope.DisposablesView.OfType<Tensor>().Count(t => t.dim() == 3 && t.shape[2] == Vocabulary);
        live.Should().Be(1 + options.TalkTokens, "only the base logits and the M mixed talk logits of the result remain; thought steps keep nothing");
        result.Loss.backward();
        model.LanguageModel.ClassifierWeight.grad!.abs().sum().item<float>().Should().BePositive("backward still finds what the graph kept");
    }

    [Fact]
    public void A_generator_that_ignores_the_observer_trains_with_the_thought_terms_at_zero()
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions();
        using var model = TinyQuietStar.Create(options, seed: 67, liveHead: true);
        var ids = TinyModels.RandomIds(2, 9, 96, seed: 68);

        var silent = new QuietStarObjective(model, new SilentThoughtGenerator()).Compute(ids, null, new Generator(69));
        var reference = new QuietStarObjective(model).Compute(ids, null, new Generator(69));

        silent.Regularization.ThoughtSteps.Should().Be(0);
        silent.Regularization.Entropy.item<float>().Should().Be(0);
        silent.Regularization.KlToBase.item<float>().Should().Be(0);
        silent.Metrics().ThoughtEntropy.Should().Be(0);
        reference.Metrics().ThoughtEntropy.Should().BePositive();
        silent.Loss.item<float>().Should().Be(reference.Loss.item<float>(), "with both weights 0 the terms never enter the loss");
        silent.Loss.backward();
    }

    [Theory]
    [InlineData(0.5, 0.0, "ThoughtEntropyWeight")]
    [InlineData(0.0, 0.25, "ThoughtKlWeight")]
    public void A_positive_entropy_or_kl_weight_with_a_generator_that_reports_no_step_is_refused(double entropyWeight, double klWeight, string option)
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions() with { ThoughtEntropyWeight = entropyWeight, ThoughtKlWeight = klWeight };
        using var model = TinyQuietStar.Create(options, seed: 70);

        var compute = () => new QuietStarObjective(model, new SilentThoughtGenerator()).Compute(TinyModels.RandomIds(2, 9, 96, seed: 71), null, new Generator(72));

        compute.Should().Throw<InvalidOperationException>().WithMessage($"*QuietStarOptions.{option}*{nameof(SilentThoughtGenerator)}*ReportThoughtStep*");
    }

    /// <summary>The reference generator with its reports dropped, as a custom generator that never calls <see cref="ThoughtRequest.ReportThoughtStep"/>.</summary>
    private sealed class SilentThoughtGenerator : IThoughtGenerator
    {
        private readonly ParallelThoughtGenerator inner = new();

        public ThoughtRollout Generate(ThoughtRequest request) => inner.Generate(request.WithStepObserver(null));
    }
}
