using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Cli.Commands;

/// <summary>The <c>--device</c> and <c>--dtype</c> values of the verbs that load a model.</summary>
internal static class TorchTarget
{
    /// <summary>The accepted <c>--device</c> values, for messages.</summary>
    public const string DeviceValues = "cpu, cuda or cuda:N";

    /// <summary>The accepted <c>--dtype</c> values, for messages.</summary>
    public const string DTypeValues = "float32, bfloat16 or float16";

    /// <summary>Why <paramref name="text"/> is not a <c>--device</c> value; null when it is one (availability is checked by <see cref="Device"/>).</summary>
    public static string? DeviceError(string text) => ParseDevice(text) is null
        ? $"--device '{text}' is not a device: use {DeviceValues}."
        : null;

    /// <summary>Why <paramref name="text"/> is not a <c>--dtype</c> value; null when it is one.</summary>
    public static string? DTypeError(string text) => ParseDType(text) is null
        ? $"--dtype '{text}' is not a supported dtype: use {DTypeValues}."
        : null;

    /// <summary>The device <paramref name="text"/> names, checked against the native backend this process loaded.</summary>
    /// <exception cref="ArgumentException">The value is malformed, CUDA is not available, or the CUDA device does not exist.</exception>
    public static Device Device(string text)
    {
        var (type, index) = ParseDevice(text) ?? throw new ArgumentException(DeviceError(text));
        if (type == DeviceType.CPU)
        {
            return torch.CPU;
        }

        if (!torch.cuda.is_available())
        {
            throw new ArgumentException(
                $"--device {text}: CUDA is not available in this process. This CLI ships libtorch's CPU backend " +
                "(libtorch-cpu-linux-x64) and no CUDA backend, or no CUDA driver and GPU were found. Use --device cpu, " +
                "or build the CLI against a CUDA backend package on a machine with a GPU (docs/build.md).");
        }

        int count = torch.cuda.device_count();
        if (index >= count)
        {
            throw new ArgumentException($"--device {text}: there are {count} CUDA devices (cuda:0 … cuda:{count - 1}).");
        }

        return torch.device(DeviceType.CUDA, index);
    }

    /// <summary>The dtype <paramref name="text"/> names.</summary>
    /// <exception cref="ArgumentException">The value is not one of <see cref="DTypeValues"/>.</exception>
    public static ScalarType DType(string text) => ParseDType(text) ?? throw new ArgumentException(DTypeError(text));

    private static (DeviceType Type, int Index)? ParseDevice(string text)
    {
        string value = text.Trim().ToLowerInvariant();
        if (value == "cpu")
        {
            return (DeviceType.CPU, 0);
        }

        if (value == "cuda")
        {
            return (DeviceType.CUDA, 0);
        }

        return value.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(value["cuda:".Length..], System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int index)
            ? (DeviceType.CUDA, index)
            : null;
    }

    private static ScalarType? ParseDType(string text) => text.Trim().ToLowerInvariant() switch
    {
        "float32" or "fp32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" or "half" => ScalarType.Float16,
        _ => null,
    };
}
