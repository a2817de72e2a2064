using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training.Recipe;

/// <summary>
/// The entropy bonus and the KL term have the right sign and the right gradient: autograd against central finite
/// differences on a tiny float64 model, with the thought samples held fixed (same Gumbel seed, ids checked equal).
/// The policy term is left out: REINFORCE is a surrogate whose gradient is not the derivative of its value.
/// </summary>
[Trait("Category", "Invariant")]
public sealed class ThoughtTermGradientTests
{
    private const double Epsilon = 1e-5;
    private const double StartEpsilon = 1e-7; // START is stored as e/100, so this moves the embedding by 1e-5
    private const double Tolerance = 1e-7;
    private const ulong Seed = 53;
    private static readonly QuietStarOptions Base = TinyQuietStar.SmallOptions() with { IncludePolicyLoss = false };

    [Fact]
    public void The_entropy_bonus_lowers_the_loss_by_beta_times_the_entropy_and_the_kl_term_raises_it_by_beta_times_the_kl()
    {
        using var scope = torch.NewDisposeScope();
        var ids = Ids();

        var plain = Evaluate(Create(Base), ids);
        var bonus = Evaluate(Create(Base with { ThoughtEntropyWeight = 0.5 }), ids);
        var kl = Evaluate(Create(Base with { ThoughtKlWeight = 0.25 }), ids);

        double entropy = plain.Regularization.Entropy.item<double>(), divergence = plain.Regularization.KlToBase.item<double>();
        entropy.Should().BePositive();
        divergence.Should().BePositive();
        (bonus.Loss.item<double>() - plain.Loss.item<double>()).Should().BeApproximately(-0.5 * entropy, 1e-12);
        (kl.Loss.item<double>() - plain.Loss.item<double>()).Should().BeApproximately(0.25 * divergence, 1e-12);
    }

    [Fact]
    public void One_descent_step_with_the_entropy_bonus_raises_the_entropy_and_with_the_kl_term_lowers_the_kl()
    {
        using var scope = torch.NewDisposeScope();
        var ids = Ids();
        ThoughtRegularization AfterOneStep(QuietStarOptions options)
        {
            var model = Create(options);
            var optimizer = torch.optim.SGD(model.parameters(), learningRate: 0.02);
            Evaluate(model, ids).Loss.backward();
            optimizer.step();
            using var noGrad = torch.no_grad();
            return Evaluate(model, ids).Regularization;
        }

        var plain = AfterOneStep(Base);
        var withBonus = AfterOneStep(Base with { ThoughtEntropyWeight = 5 });
        var withKl = AfterOneStep(Base with { ThoughtKlWeight = 5 });

        withBonus.Entropy.item<double>().Should().BeGreaterThan(plain.Entropy.item<double>() + 1e-4);
        withKl.KlToBase.item<double>().Should().BeLessThan(plain.KlToBase.item<double>() - 1e-4);
    }

    [Fact]
    public void The_entropy_bonus_gradient_on_the_classifier_matches_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        var ids = Ids();
        using var model = Create(Base with { ThoughtEntropyWeight = 1 });
        using var without = Create(Base);
        var classifier = model.LanguageModel.ClassifierWeight;
        long[] indices = ClassifierIndices(model, ids);

        var reference = Evaluate(model, ids);
        reference.Loss.backward();
        Evaluate(without, ids).Loss.backward();

        foreach (long index in indices)
        {
            double autograd = At(classifier.grad!, index);
            double finite = FiniteDifference(classifier, index, reference.Rollout.ThoughtIds, () => Evaluate(model, ids), r => r.Loss);
            finite.Should().BeApproximately(autograd, Tolerance, $"classifier entry {index}");
            Math.Abs(autograd - At(without.LanguageModel.ClassifierWeight.grad!, index)).Should().BeGreaterThan(100 * Tolerance,
                "the entropy bonus contributes to this entry, so a wrong term gradient would show");
        }
    }

    [Fact]
    public void The_kl_gradient_on_start_matches_finite_differences_of_the_whole_loss()
    {
        using var scope = torch.NewDisposeScope();
        var ids = Ids();
        using var model = Create(Base with { ThoughtKlWeight = 1 });
        using var without = Create(Base);
        var start = Parameter(model, "thought_embeddings.start_embedding");

        var reference = Evaluate(model, ids);
        reference.Loss.backward();
        Evaluate(without, ids).Loss.backward();

        foreach (long index in new long[] { 0, 9, 31 })
        {
            double autograd = At(start.grad!, index);
            double finite = FiniteDifference(start, index, reference.Rollout.ThoughtIds, () => Evaluate(model, ids), r => r.Loss, StartEpsilon);
            finite.Should().BeApproximately(autograd, 10 * Tolerance, $"START entry {index}");
            Math.Abs(autograd - At(Parameter(without, "thought_embeddings.start_embedding").grad!, index)).Should().BeGreaterThan(1e5 * Tolerance,
                "the KL term contributes to this entry");
        }
    }

    [Fact]
    public void The_kl_gradient_on_the_classifier_matches_finite_differences_with_the_detached_base_held_fixed()
    {
        using var scope = torch.NewDisposeScope();
        var ids = Ids();
        var options = Base with { ThoughtKlWeight = 1 };
        using var model = Create(options);
        var classifier = model.LanguageModel.ClassifierWeight;
        int[] unsampled = [model.StartThoughtId, model.EndThoughtId];

        var reference = Evaluate(model, ids);
        var fixedBase = reference.BaseLogits.detach().clone();
        reference.Regularization.KlToBase.backward();
        var recorder = new RecordingThoughtGenerator(scope);
        Tensor Kl(ObjectiveResult r)
        {
            // The KL of this evaluation's thought logits (recorded as each step was generated) against the fixed base.
            using var terms = new ThoughtDistributionTerms(fixedBase, r.IsReal, unsampled, options);
            for (int k = 0; k < recorder.Logits.Count; k++)
            {
                terms.OnThoughtStep(k + 1, recorder.Logits[k]);
            }

            return terms.Result().KlToBase;
        }

        foreach (long index in ClassifierIndices(model, ids))
        {
            double autograd = At(classifier.grad!, index);
            double finite = FiniteDifference(classifier, index, reference.Rollout.ThoughtIds, () => Evaluate(model, ids, recorder), Kl);
            finite.Should().BeApproximately(autograd, Tolerance, $"classifier entry {index}");
            Math.Abs(autograd).Should().BeGreaterThan(1e3 * Tolerance);
        }
    }

    /// <summary>(L(θ+ε) − L(θ−ε)) / 2ε for one entry, restoring it bit for bit; the thoughts must be the same in both runs.</summary>
    private static double FiniteDifference(Tensor parameter, long index, Tensor expectedIds, Func<ObjectiveResult> evaluate, Func<ObjectiveResult, Tensor> value,
        double epsilon = Epsilon)
    {
        var slot = parameter.detach().view(-1).narrow(0, index, 1);
        var saved = slot.clone();
        double Shifted(double delta)
        {
            using (torch.no_grad())
            {
                slot.copy_(saved + delta);
            }

            using var noGrad = torch.no_grad();
            var result = evaluate();
            result.Rollout.ThoughtIds.Equals(expectedIds).Should().BeTrue("the sampled thoughts are held fixed across the perturbation");
            return value(result).item<double>();
        }

        double plus = Shifted(epsilon), minus = Shifted(-epsilon);
        using (torch.no_grad())
        {
            slot.copy_(saved);
        }

        return (plus - minus) / (2 * epsilon);
    }

    /// <summary>A few classifier entries: the rows of two sampled thought tokens and of a token that was not necessarily sampled.</summary>
    private static long[] ClassifierIndices(QuietStarModel model, Tensor ids)
    {
        using var noGrad = torch.no_grad();
        var sampled = Evaluate(model, ids).Rollout.ThoughtIds;
        long hidden = model.LanguageModel.Config.HiddenSize;
        long first = sampled[0, 0, 0].item<long>(), second = sampled[1, 3, 1].item<long>();
        return [(first * hidden) + 2, (second * hidden) + 17, (40 * hidden) + 5];
    }

    private static ObjectiveResult Evaluate(QuietStarModel model, Tensor ids, IThoughtGenerator? thoughts = null) =>
        new QuietStarObjective(model, thoughts).Compute(ids, null, new Generator(Seed));

    private static Tensor Ids() => TinyModels.RandomIds(2, 9, 96, seed: 52);

    private static double At(Tensor t, long index) => t.view(-1)[index].item<double>();

    private static Tensor Parameter(QuietStarModel model, string name) => model.named_parameters().Single(p => p.name == name).parameter;

    /// <summary>An untied float64 tiny model (so the classifier is its own matrix) with a live mixing head.</summary>
    private static QuietStarModel Create(QuietStarOptions options)
    {
        var lm = TinyModels.Create(seed: 51, tied: false, dtype: ScalarType.Float64);
        var model = QuietStarModel.Create(lm, initTokenId: 5, options, new Generator(151));
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in model.named_parameters().Where(p => p.name.StartsWith("talk_head.", StringComparison.Ordinal)))
        {
            p.normal_(0, 0.5, new Generator(250 + (ulong)name.Length));
        }

        return model;
    }
}
