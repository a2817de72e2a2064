using QuietStar.Core.Algorithm;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Fixtures;

/// <summary>
/// A <see cref="ParallelThoughtGenerator"/> that also records each thought step's sampling logits (values, no autograd
/// history) of its latest rollout, after passing them on to the objective's own observer. The copies belong to
/// <paramref name="owner"/>, the test's dispose scope. <paramref name="sampling"/> picks the thought tokens.
/// </summary>
internal sealed class RecordingThoughtGenerator(DisposeScope owner, ThoughtSampling sampling = ThoughtSampling.Model) : IThoughtGenerator
{
    private readonly DisposeScope owner = owner;
    private readonly ParallelThoughtGenerator inner = new(sampling);
    private readonly List<Tensor> logits = [];
    private readonly List<int> steps = [];

    /// <summary>The logits <c>[R, L, V]</c> thought token k + 1 was sampled from, in the latest rollout.</summary>
    public IReadOnlyList<Tensor> Logits => logits;

    /// <summary>The step numbers reported in the latest rollout, in order.</summary>
    public IReadOnlyList<int> Steps => steps;

    public ThoughtRollout Generate(ThoughtRequest request)
    {
        logits.Clear();
        steps.Clear();
        return inner.Generate(request.WithStepObserver(new Recorder(this, request.StepObserver)));
    }

    private sealed class Recorder(RecordingThoughtGenerator target, IThoughtStepObserver? next) : IThoughtStepObserver
    {
        public void OnThoughtStep(int step, Tensor stepLogits)
        {
            next?.OnThoughtStep(step, stepLogits);
            using var noGrad = torch.no_grad();
            target.steps.Add(step);
            target.logits.Add(stepLogits.detach().clone().MoveToOtherDisposeScope(target.owner)); // [R, L, V]
        }
    }
}
