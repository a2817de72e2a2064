using System.Reflection;
using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Thinking;

/// <summary>
/// The seam a custom <see cref="IThoughtGenerator"/> is given: <see cref="ThoughtRequest"/>'s public operations reproduce
/// the reference generator exactly, refuse misuse with a message naming what was expected, and the backbone's seam
/// types stay internal.
/// </summary>
public sealed class ThoughtRequestTests
{
    private const int Length = 9;
    private const int Vocabulary = 96 + 2;

    [Theory]
    [InlineData(ThoughtAttention.Diagonal)]
    [InlineData(ThoughtAttention.Masked)]
    public void A_generator_written_against_the_public_request_reproduces_the_greedy_reference_rollout_exactly(ThoughtAttention attention)
    {
        // Entropy and KL on (the reports reach the objective), the REINFORCE term on (log-probabilities keep their history),
        // a padded row; backward through both.
        using var scope = torch.NewDisposeScope();
        var options = TinyQuietStar.SmallOptions(attention) with { ThoughtEntropyWeight = 0.1, ThoughtKlWeight = 0.2, PolicyLossWeight = 1.0 };
        using var model = TinyQuietStar.Create(options, seed: 81, liveHead: true);
        var ids = TinyModels.RandomIds(2, Length, 96, seed: 82);
        var isReal = torch.ones(2, Length, dtype: ScalarType.Bool);
        isReal[1, 6..] = false;

        var (reference, referenceGradients) = Run(model, new ParallelThoughtGenerator(ThoughtSampling.Greedy), ids, isReal);
        var (custom, customGradients) = Run(model, new PublicApiGreedyGenerator(), ids, isReal);

        Identical(custom.Rollout.ThoughtIds, reference.Rollout.ThoughtIds).Should().BeTrue("the same greedy thought tokens");
        Identical(custom.Rollout.ThoughtLogProbs, reference.Rollout.ThoughtLogProbs).Should().BeTrue("the same log-probabilities");
        custom.Rollout.ThoughtLogProbs.requires_grad.Should().BeTrue();
        custom.Rollout.ThoughtHidden.Should().HaveCount(options.ThoughtTokens);
        custom.Rollout.TalkHidden.Should().HaveCount(options.TalkTokens);
        for (int k = 0; k < options.ThoughtTokens; k++)
        {
            Identical(custom.Rollout.ThoughtHidden[k], reference.Rollout.ThoughtHidden[k]).Should().BeTrue($"thought hidden state {k + 1}");
        }

        for (int s = 0; s < options.TalkTokens; s++)
        {
            Identical(custom.Rollout.TalkHidden[s], reference.Rollout.TalkHidden[s]).Should().BeTrue($"talk hidden state {s}");
        }

        custom.Regularization.ThoughtSteps.Should().Be(options.ThoughtTokens, "every thought step was reported");
        Identical(custom.Regularization.Entropy, reference.Regularization.Entropy).Should().BeTrue();
        Identical(custom.Regularization.KlToBase, reference.Regularization.KlToBase).Should().BeTrue();
        Identical(custom.Loss, reference.Loss).Should().BeTrue("the same loss, bit for bit");
        customGradients.Keys.Should().BeEquivalentTo(referenceGradients.Keys);
        customGradients.Should().ContainKey("thought_embeddings.start_embedding");
        foreach (var (name, gradient) in referenceGradients)
        {
            Identical(customGradients[name], gradient).Should().BeTrue($"∂L/∂{name}");
        }
    }

    [Fact]
    public void Step_refuses_embeddings_of_the_wrong_shape_and_names_the_expected_one()
    {
        var (model, run) = Setup();
        using (model)
        {
            long h = model.LanguageModel.Config.HiddenSize;
            run(r => r.Step(torch.zeros(4, Length, h + 1))).Should().Throw<ArgumentException>()
                .WithMessage($"Expected step embeddings [R, L, H] = [4, {Length}, {h}]; got [4, {Length}, {h + 1}].*")
                .Which.ParamName.Should().Be("embeddings");
            run(r => r.Step(r.StartEmbedding().narrow(0, 0, 2))).Should().Throw<ArgumentException>()
                .WithMessage($"*[R, L, H] = [4, {Length}, {h}]; got [2, {Length}, {h}]*");
            run(r => r.Logits(torch.zeros(4, Length - 1, h))).Should().Throw<ArgumentException>()
                .WithMessage($"Expected hidden states [R, L, H] = [4, {Length}, {h}]; got [4, {Length - 1}, {h}].*");
            run(r => r.Embed(r.InputIds.unsqueeze(-1))).Should().Throw<ArgumentException>()
                .WithMessage($"Expected token ids [R, L] = [4, {Length}]; got [4, {Length}, 1].*");
        }
    }

    [Fact]
    public void More_steps_than_the_rollout_has_positions_for_are_refused()
    {
        var (model, run) = Setup();
        using (model)
        {
            var options = model.Options;
            int steps = options.ThoughtTokens + options.TalkTokens + 1;
            int ran = 0;
            run(r =>
            {
                for (int k = 0; k < steps; k++)
                {
                    r.Step(r.StartEmbedding());
                }

                ran = r.StepsRun;
                r.Step(r.EndEmbedding());
            }).Should().Throw<InvalidOperationException>().WithMessage($"All {steps} steps of the rollout have been run (T + M + 1*");
            ran.Should().Be(steps, "T + M + 1 steps are allowed");
        }
    }

    [Fact]
    public void A_request_kept_past_its_generate_call_refuses_every_operation()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(TinyQuietStar.SmallOptions(), seed: 87);
        var keeping = new KeepingGenerator();
        new QuietStarObjective(model, keeping).Compute(TinyModels.RandomIds(2, Length, 96, seed: 88), null, new Generator(89));

        var request = keeping.Request!;
        long hidden = model.LanguageModel.Config.HiddenSize;
        var over = "The rollout of this ThoughtRequest is over*";
        request.Invoking(r => r.Step(torch.zeros(4, Length, hidden))).Should().Throw<InvalidOperationException>().WithMessage(over);
        request.Invoking(r => r.StartEmbedding()).Should().Throw<InvalidOperationException>().WithMessage(over);
        request.Invoking(r => r.EndEmbedding()).Should().Throw<InvalidOperationException>().WithMessage(over);
        request.Invoking(r => r.Embed(r.InputIds)).Should().Throw<InvalidOperationException>().WithMessage(over);
        request.Invoking(r => r.Logits(torch.zeros(4, Length, hidden))).Should().Throw<InvalidOperationException>().WithMessage(over);
        request.Invoking(r => r.ReportThoughtStep(3, torch.zeros(4, Length, Vocabulary))).Should().Throw<InvalidOperationException>().WithMessage(over);
        request.Invoking(r => r.TalkInputIds(1)).Should().Throw<InvalidOperationException>().WithMessage(over);
    }

    [Fact]
    public void A_step_that_failed_part_way_ends_the_rollout_with_a_message_saying_so()
    {
        var (model, run) = Setup();
        using (model)
        {
            bool fail = false;
            model.LanguageModel.ForwardStarting += (_, _) =>
            {
                if (fail)
                {
                    throw new IOException("simulated failure inside the model's forward pass");
                }
            };
            run(r =>
            {
                r.Step(r.StartEmbedding());
                fail = true;
                r.Invoking(q => q.Step(q.StartEmbedding())).Should().Throw<IOException>("the model's own exception comes out unchanged");
                fail = false;
                r.Step(r.StartEmbedding());
            }).Should().Throw<InvalidOperationException>().WithMessage("A step of this ThoughtRequest's rollout failed part-way*cannot continue.");
        }
    }

    [Fact]
    public void A_copy_for_another_listener_shares_the_rollout_its_steps_its_reports_and_its_end()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(TinyQuietStar.SmallOptions(), seed: 90);
        ThoughtRequest? copy = null;
        var generator = new StoppingGenerator(r =>
        {
            copy = r.WithStepObserver(null);
            var logits = copy.Logits(copy.Step(copy.StartEmbedding()));                             // [R, L, V]
            r.StepsRun.Should().Be(1, "the copy's step is the original's step 1");
            copy.ReportThoughtStep(1, logits);
            r.Invoking(q => q.ReportThoughtStep(1, logits)).Should().Throw<InvalidOperationException>()
                .WithMessage("Thought step 1 reported out of order: the next is step 2*", "the copy's report counts for the original");
        });
        var compute = () => new QuietStarObjective(model, generator).Compute(TinyModels.RandomIds(2, Length, 96, seed: 91), null, new Generator(92));
        compute.Should().Throw<StoppingGenerator.Stopped>();
        copy!.Invoking(c => c.StartEmbedding()).Should().Throw<InvalidOperationException>().WithMessage("The rollout of this ThoughtRequest is over*");
    }

    [Fact]
    public void Thought_steps_must_be_reported_in_order_after_their_step_with_logits_of_the_vocabulary()
    {
        var (model, run) = Setup();
        using (model)
        {
            run(r => r.ReportThoughtStep(1, torch.zeros(4, Length, Vocabulary))).Should().Throw<InvalidOperationException>()
                .WithMessage("Thought step 1 reported after 0 step(s)*run that step first.");
            run(r => r.ReportThoughtStep(2, r.Logits(r.Step(r.StartEmbedding())))).Should().Throw<InvalidOperationException>()
                .WithMessage("Thought step 2 reported out of order: the next is step 1*");
            run(r =>
            {
                var logits = r.Logits(r.Step(r.StartEmbedding()));                           // [R, L, V]
                r.ReportThoughtStep(1, logits);
                r.ReportThoughtStep(1, logits);
            }).Should().Throw<InvalidOperationException>().WithMessage("Thought step 1 reported out of order: the next is step 2*");
            run(r =>
            {
                var hidden = r.Step(r.StartEmbedding());                                     // [R, L, H]
                for (int k = 1; k <= 3; k++)
                {
                    r.ReportThoughtStep(k, r.Logits(hidden));
                    hidden = r.Step(r.Embed(r.InputIds));
                }

                r.ReportThoughtStep(4, r.Logits(hidden));
            }).Should().Throw<InvalidOperationException>().WithMessage("Thought step 4 reported, but all T = 3 thought tokens have been reported.");
            run(r => r.ReportThoughtStep(1, r.Logits(r.Step(r.StartEmbedding())).narrow(-1, 0, 96))).Should().Throw<ArgumentException>()
                .WithMessage($"Expected thought logits [R, L, V] = [4, {Length}, {Vocabulary}]; got [4, {Length}, 96].*");
        }
    }

    [Fact]
    public void Talk_inputs_are_the_ids_shifted_left_with_the_pad_token_past_the_end_and_exist_for_talk_steps_1_to_m_minus_1()
    {
        var (model, run) = Setup();
        using (model)
        {
            run(r =>
            {
                int m = r.Options.TalkTokens;
                m.Should().BeGreaterThan(1, "the test needs at least one teacher-forced talk input");
                for (int s = 1; s < m; s++)
                {
                    var shifted = r.TalkInputIds(s);                                                  // [R, L]
                    shifted.shape.Should().Equal(r.InputIds.shape);
                    shifted.narrow(1, 0, Length - s).equal(r.InputIds.narrow(1, s, Length - s)).all().item<bool>().Should().BeTrue();
                    shifted.narrow(1, Length - s, s).eq(r.PadTokenId).all().item<bool>().Should().BeTrue();
                }

                r.Invoking(q => q.TalkInputIds(0)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("Talk inputs exist for s = 1 … M − 1*");
                r.TalkInputIds(m);
            }).Should().Throw<ArgumentOutOfRangeException>().WithMessage("Talk inputs exist for s = 1 … M − 1*");
        }
    }

    [Fact]
    public void A_rollout_returned_after_a_failed_step_is_refused_by_the_objective()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(TinyQuietStar.SmallOptions(), seed: 96);
        var swallowing = new SwallowingGenerator();
        model.LanguageModel.ForwardStarting += (_, _) =>
        {
            if (swallowing.Stepping)
            {
                throw new IOException("simulated failure");                                          // the generator's step, not the base pass
            }
        };
        var compute = () => new QuietStarObjective(model, swallowing).Compute(TinyModels.RandomIds(2, Length, 96, seed: 97), null, new Generator(98));
        compute.Should().Throw<InvalidOperationException>().WithMessage("The thought generator SwallowingGenerator returned a rollout after one of its steps failed part-way*");
        swallowing.Swallowed.Should().BeTrue("the step really failed and the generator went on");
    }

    [Fact]
    public void The_options_a_generator_reads_are_a_copy_whose_changes_leave_the_step_limit_as_it_was()
    {
        var (model, run) = Setup();
        using (model)
        {
            run(r =>
            {
                r.Options.ThoughtTokens = 50;
                r.Options.TalkTokens = 50;
                r.Options.ThoughtTokens.Should().Be(3);
                int steps = 3 + r.Options.TalkTokens + 1;                                             // T + M + 1 of the real options
                for (int k = 0; k < steps; k++)
                {
                    r.Step(r.StartEmbedding());
                }

                r.Step(r.StartEmbedding());                                                          // one more: refused by the real limit
            }).Should().Throw<InvalidOperationException>().WithMessage("All * steps of the rollout have been run (T + M + 1: START, 3 thought tokens*");
        }
    }

    [Fact]
    public void The_backbone_seam_is_internal_and_the_request_is_made_only_by_the_objective()
    {
        Type[] seam = [typeof(ModelInput), typeof(ModelOutput), typeof(KeyValueCache), typeof(AttentionSpec), typeof(IThoughtStepObserver), typeof(ThoughtEmbeddings)];
        seam.Where(t => t.IsPublic).Should().BeEmpty();
        typeof(ThoughtRequest).GetConstructors(BindingFlags.Public | BindingFlags.Instance).Should().BeEmpty();
        typeof(QuietStarModel).GetProperty(nameof(QuietStarModel.ThoughtEmbeddings), BindingFlags.Public | BindingFlags.Instance).Should().BeNull();
        typeof(CausalLanguageModel).BaseType.Should().Be(typeof(nn.Module), "no public forward taking the internal ModelInput");
        typeof(ThoughtRequest).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName).Select(m => m.Name).Should()
            .BeEquivalentTo("Step", "Embed", "Logits", "StartEmbedding", "EndEmbedding", "ReportThoughtStep", "TalkInputIds");
    }

    /// <summary>torch.equal: the same shape, dtype and every element.</summary>
    private static bool Identical(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();

    private static (ObjectiveResult Result, Dictionary<string, Tensor> Gradients) Run(QuietStarModel model, IThoughtGenerator generator, Tensor ids, Tensor isReal)
    {
        model.zero_grad();
        var result = new QuietStarObjective(model, generator).Compute(ids, isReal, new Generator(83));
        result.Loss.backward();
        var gradients = model.named_parameters().Where(p => p.parameter.grad is not null).ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        return (result, gradients);
    }

    /// <summary>A tiny model and a way to run one misuse inside a real objective evaluation (B = 2, P = 2: R = 4 rows of L = 9).</summary>
    private static (QuietStarModel Model, Func<Action<ThoughtRequest>, Action> Run) Setup()
    {
        var model = TinyQuietStar.Create(TinyQuietStar.SmallOptions(ThoughtAttention.Masked), seed: 84);
        var ids = TinyModels.RandomIds(2, Length, 96, seed: 85);
        return (model, misuse => () =>
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            new QuietStarObjective(model, new Misusing(misuse)).Compute(ids, null, new Generator(86));
        });
    }

    /// <summary>The reference generator, keeping the request it was given.</summary>
    private sealed class KeepingGenerator : IThoughtGenerator
    {
        private readonly ParallelThoughtGenerator inner = new();

        public ThoughtRequest? Request { get; private set; }

        public ThoughtRollout Generate(ThoughtRequest request)
        {
            Request = request;
            return inner.Generate(request);
        }
    }

    /// <summary>Catches the failure of its first step and returns a rollout of zeros anyway: what the objective must refuse.</summary>
    private sealed class SwallowingGenerator : IThoughtGenerator
    {
        public bool Swallowed { get; private set; }

        public bool Stepping { get; private set; }

        public ThoughtRollout Generate(ThoughtRequest request)
        {
            try
            {
                Stepping = true;
                request.Step(request.StartEmbedding());
            }
            catch (IOException)
            {
                Swallowed = true;
            }
            finally
            {
                Stepping = false;
            }

            var options = request.Options;
            long rows = request.InputIds.shape[0], length = request.InputIds.shape[1];
            var hidden = torch.zeros(rows, length, 32);                                               // [R, L, H]: the tiny model's H
            return new ThoughtRollout(
                torch.zeros(rows, length, options.ThoughtTokens, dtype: ScalarType.Int64),             // [R, L, T]
                torch.zeros(rows, length, options.ThoughtTokens),                                      // [R, L, T]
                Enumerable.Repeat(hidden, options.ThoughtTokens).ToList(),
                Enumerable.Repeat(hidden, options.TalkTokens).ToList());
        }
    }

    /// <summary>Runs checks against the request, then ends the objective's evaluation with <see cref="Stopped"/>.</summary>
    private sealed class StoppingGenerator(Action<ThoughtRequest> checks) : IThoughtGenerator
    {
        public ThoughtRollout Generate(ThoughtRequest request)
        {
            checks(request);
            throw new Stopped();
        }

        public sealed class Stopped : Exception;
    }

    /// <summary>Runs the misuse; if nothing refused it, fails with an exception none of the tests expects.</summary>
    private sealed class Misusing(Action<ThoughtRequest> misuse) : IThoughtGenerator
    {
        public ThoughtRollout Generate(ThoughtRequest request)
        {
            misuse(request);
            throw new Xunit.Sdk.XunitException("The request accepted the misuse.");
        }
    }

    /// <summary>
    /// A custom generator written against <see cref="ThoughtRequest"/>'s public members only: greedy thought tokens, their
    /// log-probabilities at the REINFORCE temperature, every thought step reported, each thought step in its own dispose
    /// scope (what the request keeps between steps must outlive it), and the talk phase's teacher-forced tokens.
    /// </summary>
    private sealed class PublicApiGreedyGenerator : IThoughtGenerator
    {
        public ThoughtRollout Generate(ThoughtRequest request)
        {
            var options = request.Options;
            var thoughtHidden = new List<Tensor>();
            var ids = new List<Tensor>();
            var logProbs = new List<Tensor>();
            var hidden = request.Step(request.StartEmbedding());                             // [R, L, H] after START
            for (int k = 1; k <= options.ThoughtTokens; k++)
            {
                thoughtHidden.Add(hidden);
                using var scope = torch.NewDisposeScope();
                var logits = request.Logits(hidden);                                         // [R, L, V]
                var token = logits.detach().argmax(-1);                                      // [R, L]
                Tensor logProb;
                using (request.LogProbGradients ? null : torch.no_grad())
                {
                    logProb = (logits / options.ReinforceTemperature).log_softmax(-1).gather(-1, token.unsqueeze(-1)).squeeze(-1); // [R, L]
                }

                request.ReportThoughtStep(k, logits);
                hidden = request.Step(request.Embed(token)).MoveToOuterDisposeScope();       // [R, L, H] after c_k
                ids.Add(token.MoveToOuterDisposeScope());
                logProbs.Add(logProb.MoveToOuterDisposeScope());
            }

            var talkHidden = new List<Tensor> { request.Step(request.EndEmbedding()) };     // [R, L, H] after END
            long rows = request.InputIds.shape[0], length = request.InputIds.shape[1];
            for (int s = 1; s < options.TalkTokens; s++)
            {
                var padding = torch.full(rows, Math.Min(s, length), request.PadTokenId, dtype: ScalarType.Int64, device: request.InputIds.device);
                var next = s >= length ? padding : torch.cat([request.InputIds.narrow(1, s, length - s), padding], dim: 1); // [R, L]: x_{t+s}
                talkHidden.Add(request.Step(request.Embed(next)));                          // [R, L, H]
            }

            return new ThoughtRollout(torch.stack(ids, dim: -1), torch.stack(logProbs, dim: -1), thoughtHidden, talkHidden); // [R, L, T] ×2
        }
    }
}
