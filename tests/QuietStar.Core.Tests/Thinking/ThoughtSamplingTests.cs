using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Tests.Evaluation;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Thinking;

/// <summary>
/// The thought-content controls of <see cref="ParallelThoughtGenerator"/>: greedy thoughts are the argmax of the
/// logits they were sampled from, uniform thoughts ignore the context, and both keep the model's log-probabilities.
/// </summary>
public sealed class ThoughtSamplingTests
{
    private static (ThoughtRollout Rollout, RecordingThoughtGenerator Recorder) Roll(QuietStarModel model, ThoughtSampling sampling, Tensor ids, ulong seed, DisposeScope owner)
    {
        var recorder = new RecordingThoughtGenerator(owner, sampling);
        var result = new QuietStarObjective(model, recorder).Compute(ids, null, new Generator(seed));
        return (result.Rollout, recorder);
    }

    [Fact]
    public void Greedy_thoughts_are_the_argmax_of_each_steps_logits_and_do_not_depend_on_the_generator()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(TinyQuietStar.SmallOptions(), seed: 3);
        var ids = TinyModels.RandomIds(2, 10, 64, seed: 4);

        var (first, recorder) = Roll(model, ThoughtSampling.Greedy, ids, seed: 1, scope);
        var (second, _) = Roll(model, ThoughtSampling.Greedy, ids, seed: 99, scope);

        recorder.Logits.Should().HaveCount(3);
        for (int k = 0; k < 3; k++)
        {
            first.ThoughtIds.select(-1, k).equal(recorder.Logits[k].argmax(-1)).all().item<bool>().Should().BeTrue($"thought token {k + 1} is the most likely one");
        }

        first.ThoughtIds.equal(second.ThoughtIds).all().item<bool>().Should().BeTrue("greedy thoughts draw no randomness");
    }

    [Fact]
    public void Uniform_thoughts_ignore_the_context_while_the_models_samples_do_not()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(TinyQuietStar.SmallOptions(), seed: 3);
        var ids = TinyModels.RandomIds(2, 12, 64, seed: 4);
        var other = TinyModels.RandomIds(2, 12, 64, seed: 5);

        var (uniform, _) = Roll(model, ThoughtSampling.Uniform, ids, seed: 7, scope);
        var (uniformOther, _) = Roll(model, ThoughtSampling.Uniform, other, seed: 7, scope);
        var (sampled, _) = Roll(model, ThoughtSampling.Model, ids, seed: 7, scope);
        var (sampledOther, _) = Roll(model, ThoughtSampling.Model, other, seed: 7, scope);

        uniform.ThoughtIds.equal(uniformOther.ThoughtIds).all().item<bool>().Should().BeTrue("a uniform draw depends on the noise only");
        sampled.ThoughtIds.equal(sampledOther.ThoughtIds).all().item<bool>().Should().BeFalse("the model's samples depend on the text");
        uniform.ThoughtIds.equal(sampled.ThoughtIds).all().item<bool>().Should().BeFalse();
    }

    [Fact]
    public void Uniform_thoughts_cover_the_vocabulary_evenly_and_never_START_or_END()
    {
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions();
        options.ThoughtTokens = 6;
        using var model = TinyQuietStar.Create(options, seed: 3);
        var ids = TinyModels.RandomIds(16, 64, 96, seed: 4);

        var (rollout, _) = Roll(model, ThoughtSampling.Uniform, ids, seed: 11, scope);

        long vocabulary = model.LanguageModel.Config.VocabSize;                  // 96 + START + END
        var counts = rollout.ThoughtIds.flatten().bincount(null, vocabulary); // [V]
        counts[model.StartThoughtId].item<long>().Should().Be(0);
        counts[model.EndThoughtId].item<long>().Should().Be(0);
        long draws = rollout.ThoughtIds.numel();                                // 32 rows · 64 · 6 = 12,288
        double expected = draws / (double)(vocabulary - 2);                     // 128 per token
        var sampleable = counts.narrow(0, 0, vocabulary - 2).to_type(ScalarType.Float64);
        double chiSquare = ((sampleable - expected).pow(2) / expected).sum().item<double>();
        chiSquare.Should().BeLessThan(150, "95 degrees of freedom: the 99.9 % quantile of χ² is about 142 (fixed seed)");
        sampleable.min().item<double>().Should().BeGreaterThan(expected / 2);
    }

    [Theory]
    [InlineData(ThoughtSampling.Greedy)]
    [InlineData(ThoughtSampling.Uniform)]
    public void The_log_probabilities_are_the_models_for_the_chosen_tokens(ThoughtSampling sampling)
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(TinyQuietStar.SmallOptions(), seed: 3);
        var ids = TinyModels.RandomIds(2, 10, 64, seed: 4);

        var (rollout, recorder) = Roll(model, sampling, ids, seed: 2, scope);

        for (int k = 0; k < 3; k++)
        {
            var expected = (recorder.Logits[k] / model.Options.ReinforceTemperature).log_softmax(-1)
                .gather(-1, rollout.ThoughtIds.select(-1, k).unsqueeze(-1)).squeeze(-1);   // [R, L]
            TinyQuietStar.MaxAbsDiff(rollout.ThoughtLogProbs.select(-1, k).detach(), expected).Should().BeLessThan(1e-5f);
        }
    }

    [Fact]
    public void An_unknown_mode_is_refused_with_the_valid_ones()
    {
        var create = () => new ParallelThoughtGenerator((ThoughtSampling)7);

        create.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Unknown thought sampling 7*Model, Greedy, Uniform*");
    }

    [Fact]
    public void Evaluation_with_random_thoughts_changes_the_live_heads_prediction_and_reports_its_mode()
    {
        using var scope = torch.NewDisposeScope();
        using var model = EvaluationFixtures.ThinkingModel(seed: 2, liveHead: true);
        var ids = TinyModels.RandomIds(2, 10, 512, seed: 3);

        var sampled = ScoringPass.For(model);
        var uniform = ScoringPass.For(model, sampling: ThoughtSampling.Uniform);
        var withModelThoughts = sampled.RunWithThoughts(ids, null, new Generator(4));
        var withRandomThoughts = uniform.RunWithThoughts(ids, null, new Generator(4));

        sampled.Sampling.Should().Be(ThoughtSampling.Model);
        uniform.Sampling.Should().Be(ThoughtSampling.Uniform);
        withRandomThoughts.BaseLogits.equal(withModelThoughts.BaseLogits).all().item<bool>().Should().BeTrue("only the thoughts change");
        TinyQuietStar.MaxAbsDiff(withRandomThoughts.TalkLogits!, withModelThoughts.TalkLogits!).Should().BeGreaterThan(1e-4f);
    }
}
