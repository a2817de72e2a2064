using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using QuietStar.Core.Training;
using Xunit;

namespace QuietStar.Core.Tests.Training.Recipe;

public sealed class RecipeTrainerTests
{
    private readonly TextTokenizer tokenizer = TinyTraining.Tokenizer();
    private readonly TextCorpus corpus;

    public RecipeTrainerTests() => corpus = TinyTraining.Corpus(tokenizer);

    [Fact]
    public void The_warm_start_trains_the_plain_lm_first_then_switches_thoughts_on_and_ramps_the_policy_weight()
    {
        var thoughts = TinyTraining.Thoughts with { PolicyWeightWarmupSteps = 2 };     // policy weight 100
        var options = TinyTraining.Options with { Steps = 5, PlainLanguageModelSteps = 2 };
        using var model = TinyTraining.Model(tokenizer, options: thoughts);
        var initial = TinyTraining.Snapshot(model);
        Dictionary<string, TorchSharp.torch.Tensor>? afterWarmStart = null;
        var reports = new List<TrainingProgress>();

        Train(model, options, new SynchronousProgress<TrainingProgress>(p =>
        {
            reports.Add(p);
            afterWarmStart = p.Step == 2 ? TinyTraining.Snapshot(model) : afterWarmStart;
        }));

        reports.Select(r => r.WithThoughts).Should().Equal(false, false, true, true, true);
        reports.Select(r => r.Metrics.PolicyWeight).Should().Equal(0, 0, 0, 50, 100);
        reports.Take(2).Should().AllSatisfy(r => r.Metrics.DistinctThoughts.Should().Be(0));
        reports.Skip(2).Should().AllSatisfy(r => r.Metrics.DistinctThoughts.Should().BePositive());
        var final = TinyTraining.Snapshot(model);
        foreach (var (name, value) in afterWarmStart!)
        {
            bool languageModel = name.StartsWith("language_model.", StringComparison.Ordinal);
            TinyTraining.Bits(value).SequenceEqual(TinyTraining.Bits(initial[name])).Should().Be(!languageModel, $"{name} during the warm start");
            TinyTraining.Bits(final[name]).SequenceEqual(TinyTraining.Bits(value)).Should().BeFalse($"{name} trains once thoughts are on");
        }

        var plainReports = new List<TrainingProgress>();
        using var plain = TinyTraining.Model(tokenizer, options: thoughts);
        Train(plain, options with { PlainLanguageModelSteps = 0, NoThoughts = true }, new SynchronousProgress<TrainingProgress>(plainReports.Add));
        reports.Take(2).Select(r => r.Metrics.Loss).Should().Equal(plainReports.Take(2).Select(r => r.Metrics.Loss),
            "the warm-start steps are the no-thought baseline's steps");
    }

    [Fact]
    public void The_meter_records_the_reported_thought_diversity_entropy_kl_policy_ratio_and_mixing_spread()
    {
        using var meter = new TrainerMeterRecording();
        var reports = new List<TrainingProgress>();
        using var model = TinyTraining.Model(tokenizer, options: TinyTraining.Thoughts with { ThoughtEntropyWeight = 0.01, ThoughtKlWeight = 0.01 });

        Train(model, TinyTraining.Options with { Steps = 2, EvalEvery = 0 }, new SynchronousProgress<TrainingProgress>(reports.Add));

        reports.Should().HaveCount(2).And.OnlyContain(r => r.WithThoughts);
        var c = reports.Select(r => r.Metrics).ToList();
        meter.Values("quietstar.train.thought_entropy").Should().Equal(c.Select(x => x.ThoughtEntropy));
        meter.Values("quietstar.train.thought_kl").Should().Equal(c.Select(x => x.ThoughtKl));
        meter.Values("quietstar.train.distinct_thoughts").Should().Equal(c.Select(x => (double)x.DistinctThoughts));
        meter.Values("quietstar.train.policy_ratio").Should().Equal(c.Select(x => x.PolicyToLanguageModelingRatio));
        meter.Values("quietstar.train.policy_weight").Should().Equal(c.Select(x => x.PolicyWeight));
        meter.Values("quietstar.train.loss", "component", "entropy_bonus").Should().Equal(c.Select(x => x.WeightedEntropyBonus));
        meter.Values("quietstar.train.loss", "component", "thought_kl").Should().Equal(c.Select(x => x.WeightedThoughtKl));
        meter.Values("quietstar.train.mixing_weight_spread", "statistic", "std").Should().Equal(c.Select(x => x.MixingWeightStd));
        meter.Values("quietstar.train.mixing_weight_spread", "statistic", "p10").Should().Equal(c.Select(x => x.MixingWeightP10));
        meter.Values("quietstar.train.mixing_weight_spread", "statistic", "p50").Should().Equal(c.Select(x => x.MixingWeightP50));
        meter.Values("quietstar.train.mixing_weight_spread", "statistic", "p90").Should().Equal(c.Select(x => x.MixingWeightP90));
        c.Select(x => x.ThoughtEntropy).Should().NotEqual(c.Select(x => x.ThoughtKl), "so that swapped instruments would show");
    }

    private TrainingReport Train(QuietStarModel model, TrainingOptions options, IProgress<TrainingProgress>? progress = null)
    {
        using var trainer = new QuietStarTrainer(model, tokenizer, options);
        return trainer.Train(corpus, progress);
    }
}
