using QuietStar.Core.Algorithm;
using QuietStar.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace QuietStar.Core.Training;

/// <summary>
/// The bfloat16 compute copy of a float32 model for <see cref="MixedPrecision.BFloat16"/> training: the model's own
/// float32 parameters stay the master weights that AdamW updates (moments in float32); each step copies them into this
/// copy, runs forward and backward here, and adds each micro-batch's gradients to the masters' in float32. Every tensor lives
/// on the model's device, so the same code serves CPU and CUDA; no global torch state is touched.
/// </summary>
internal sealed class MixedPrecisionCopy : IDisposable
{
    private readonly Parameter[] masters;
    private readonly Parameter[] compute;

    private MixedPrecisionCopy(QuietStarModel model, Parameter[] masters, Parameter[] compute)
    {
        Model = model;
        this.masters = masters;
        this.compute = compute;
    }

    /// <summary>The compute model (bfloat16, same architecture and parameter order as the master).</summary>
    public QuietStarModel Model { get; }

    /// <summary>The compute dtype.</summary>
    public static ScalarType ComputeDType(MixedPrecision precision) => precision switch
    {
        MixedPrecision.BFloat16 => ScalarType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "No compute copy for this precision."),
    };

    /// <summary>Refuses a model that cannot serve as float32 masters; the message names the option and what to do.</summary>
    /// <exception cref="ArgumentException">The model is not float32, or has a custom mixing head.</exception>
    public static void CheckFits(QuietStarModel master, MixedPrecision precision)
    {
        if (master.parameters().FirstOrDefault(p => p.dtype != ScalarType.Float32) is { } other)
        {
            throw new ArgumentException(
                $"TrainingOptions.MixedPrecision is {precision}, but the model's parameters are {other.dtype}: mixed precision keeps the model's " +
                "parameters as the float32 master weights and computes on a bfloat16 copy. Load the model in float32 " +
                $"(QuietStarBuilder.UseDType(ScalarType.Float32), the CLI's --dtype float32), or set MixedPrecision to None to train in {other.dtype} as it is.",
                "options");
        }

        if (master.MixingHead is not MixingHead)
        {
            throw new ArgumentException(
                $"TrainingOptions.MixedPrecision is {precision}, but the model has a custom mixing head ({master.MixingHead.GetType().Name}), which the " +
                "trainer cannot copy into bfloat16; use the reference mixing head or set MixedPrecision to None.", "options");
        }
    }

    /// <summary>Builds the compute copy of <paramref name="master"/> (checked with <see cref="CheckFits"/>) in <paramref name="precision"/>'s dtype.</summary>
    public static MixedPrecisionCopy Create(QuietStarModel master, MixedPrecision precision)
    {
        var dtype = ComputeDType(precision);
        var device = master.LanguageModel.Device;
        var config = master.LanguageModel.Config;
        var languageModel = new CausalLanguageModel(config, device, dtype);
        var thoughts = new ThoughtEmbeddings(config.HiddenSize, master.ThoughtEmbeddings.GradientScale, device, dtype);
        var head = new MixingHead(config.HiddenSize, device, dtype);
        var copy = QuietStarModel.Restore(languageModel, thoughts, head, master.Options, master.StartThoughtId, master.EndThoughtId);
        var masterNamed = master.named_parameters().ToArray();
        var computeNamed = copy.named_parameters().ToArray();
        if (masterNamed.Length != computeNamed.Length ||
            masterNamed.Zip(computeNamed).Any(pair => pair.First.name != pair.Second.name || !pair.First.parameter.shape.SequenceEqual(pair.Second.parameter.shape)))
        {
            copy.Dispose();
            throw new InvalidOperationException("The bfloat16 compute copy does not have the model's parameters in the same order and shapes.");
        }

        var result = new MixedPrecisionCopy(copy, [.. masterNamed.Select(p => p.parameter)], [.. computeNamed.Select(p => p.parameter)]);
        result.LoadMasters();
        return result;
    }

    /// <summary>Copies the master weights into the compute copy (rounded to its dtype) and clears its gradients.</summary>
    public void LoadMasters()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var (master, compute) in masters.Zip(this.compute))
        {
            compute.copy_(master);                                         // same shape, float32 → bfloat16
            compute.grad?.zero_();
        }
    }

    /// <summary>
    /// Adds the compute copy's gradients of one micro-batch to the masters' float32 gradients and clears them, so that
    /// gradient accumulation sums in float32, not in bfloat16. A parameter the micro-batch did not reach keeps the
    /// master's own gradient, as in a float32 step.
    /// </summary>
    public void AccumulateGradients()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var (master, compute) in masters.Zip(this.compute))
        {
            if (compute.grad is not { } grad)
            {
                continue;
            }

            if (master.grad is { } sum)
            {
                sum.add_(grad);                                            // float32 += bfloat16, same shape
            }
            else
            {
                master.grad = grad.to_type(ScalarType.Float32);            // same shape as the master
            }

            grad.zero_();
        }
    }

    /// <summary>Releases the compute copy.</summary>
    public void Dispose() => Model.Dispose();
}
