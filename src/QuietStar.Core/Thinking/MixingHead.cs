using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace QuietStar.Core.Thinking;

/// <summary>
/// The reference's mixing head: <c>Linear(2H→H) → ReLU → Linear(H→H) → ReLU → Linear(H→1, no bias)</c> over
/// <c>[h_base; h_thought]</c>, with the last layer zero-initialised so that w ≡ 0 at the start.
/// </summary>
public sealed class MixingHead : nn.Module, IMixingHead
{
    [ComponentName(Name = "input")]
    private readonly Linear input;

    [ComponentName(Name = "hidden")]
    private readonly Linear hidden;

    [ComponentName(Name = "output")]
    private readonly Linear output;

    /// <summary>Creates the head for hidden width <paramref name="hiddenSize"/> (zero output layer: call <see cref="Reset"/> to initialise the rest).</summary>
    public MixingHead(int hiddenSize, Device device, ScalarType dtype) : base(nameof(MixingHead))
    {
        input = nn.Linear(2 * hiddenSize, hiddenSize, hasBias: true, device: device, dtype: dtype);
        hidden = nn.Linear(hiddenSize, hiddenSize, hasBias: true, device: device, dtype: dtype);
        output = nn.Linear(hiddenSize, 1, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();
        using var noGrad = torch.no_grad();
        output.weight!.zero_();
    }

    /// <inheritdoc />
    public Tensor ComputeWeight(Tensor baseHidden, Tensor thoughtHidden)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.cat([baseHidden, thoughtHidden], dim: -1);      // [..., 2H]
        x = nn.functional.relu(input.forward(x));                      // [..., H]
        x = nn.functional.relu(hidden.forward(x));                     // [..., H]
        return output.forward(x).MoveToOuterDisposeScope();            // [..., 1]
    }

    /// <summary>Hugging Face init for the hidden layers (Normal(0, 0.02), zero bias) and a zero output layer.</summary>
    public void Reset(Generator generator)
    {
        using var noGrad = torch.no_grad();
        input.weight!.normal_(0.0, 0.02, generator);
        input.bias!.zero_();
        hidden.weight!.normal_(0.0, 0.02, generator);
        hidden.bias!.zero_();
        output.weight!.zero_();
    }
}
