using static TorchSharp.torch;

namespace QuietStar.Core.Thinking;

/// <summary>Creates a mixing head for a model of hidden width <c>hiddenSize</c> on a device in a dtype.</summary>
/// <param name="hiddenSize">The model's hidden width H.</param>
/// <param name="device">The model's device.</param>
/// <param name="dtype">The model's parameter dtype.</param>
public delegate IMixingHead MixingHeadFactory(int hiddenSize, Device device, ScalarType dtype);
