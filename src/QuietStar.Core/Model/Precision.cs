using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>Dtype rules for numerically sensitive steps (norms, softmax, rotary angles, cross-entropy).</summary>
internal static class Precision
{
    /// <summary>The dtype to compute in: float32 for 16-bit inputs, the input's own dtype otherwise (never a downcast).</summary>
    public static ScalarType AtLeastFloat32(ScalarType dtype) =>
        dtype is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : dtype;

    /// <summary><paramref name="t"/> in <see cref="AtLeastFloat32(ScalarType)"/> of its dtype.</summary>
    public static Tensor AtLeastFloat32(Tensor t) =>
        t.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? t.to_type(ScalarType.Float32) : t;
}
