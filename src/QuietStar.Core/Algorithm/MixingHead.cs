using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace QuietStar.Core.Algorithm;

/// <summary>Creates a mixing head for a model of hidden width <c>hiddenSize</c> on a device in a dtype.</summary>
/// <param name="hiddenSize">The model's hidden width H.</param>
/// <param name="device">The model's device.</param>
/// <param name="dtype">The model's parameter dtype.</param>
internal delegate IMixingHead MixingHeadFactory(int hiddenSize, Device device, ScalarType dtype);

/// <summary>
/// The reference's mixing head: <c>Linear(2H→H) → ReLU → Linear(H→H) → ReLU → Linear(H→1, no bias)</c> over
/// <c>[h_base; h_thought]</c>, with the last layer zero-initialised so that w ≡ 0 at the start.
/// </summary>
internal sealed class MixingHead : nn.Module, IMixingHead
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

/// <summary>
/// The mixing rule shared by training and decoding: w = head(h_base, h_thought), then the model's
/// mixing space: <c>(1 − w)·z_base + w·lm_head(h_thought)</c> or <c>lm_head((1 − w)·h_base + w·h_thought)</c>.
/// </summary>
internal static class ThoughtMixing
{
    /// <summary>Mixes the base prediction for a target with the prediction after a thought.</summary>
    /// <param name="model">The Quiet-STaR model (mixing head, classifier).</param>
    /// <param name="space">Where to mix (the options in force: the model's, or an evaluation override).</param>
    /// <param name="baseHidden">Base hidden states aligned with the target, <c>[..., H]</c>.</param>
    /// <param name="baseLogits">z_base = lm_head(<paramref name="baseHidden"/>), <c>[..., V]</c>; called only when mixing in logit space.</param>
    /// <param name="thoughtHidden">Hidden states after the thought, <c>[..., H]</c>.</param>
    /// <returns>The mixed logits <c>[..., V]</c> and w <c>[..., 1]</c>.</returns>
    /// <remarks>
    /// The intermediates (the two weighted logits <c>[..., V]</c>, and the base and thought logits unless the autograd
    /// graph keeps them for backward) are released on return rather than with the caller's scope.
    /// </remarks>
    public static (Tensor Logits, Tensor Weight) Mix(QuietStarModel model, MixingSpace space, Tensor baseHidden, Func<Tensor> baseLogits, Tensor thoughtHidden)
    {
        var lm = model.LanguageModel;
        using var scope = torch.NewDisposeScope();
        var w = model.MixingHead.ComputeWeight(baseHidden, thoughtHidden);                 // [..., 1]
        var logits = space == MixingSpace.Logits
            ? (1 - w) * baseLogits() + w * lm.ComputeLogits(thoughtHidden)                 // [..., V]
            : lm.ComputeLogits((1 - w) * baseHidden + w * thoughtHidden);
        return scope.MoveToOuter(logits, w);
    }
}
