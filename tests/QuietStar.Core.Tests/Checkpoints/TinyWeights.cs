using QuietStar.Core.Checkpoints;
using QuietStar.Core.Model;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Checkpoints;

/// <summary>Tiny configurations and matching state dicts whose values are exact in F32, F16 and BF16.</summary>
internal static class TinyWeights
{
    public static TransformerConfig Config(string modelType = "llama", bool tied = false) => new()
    {
        ModelType = modelType,
        VocabSize = 16,
        HiddenSize = 8,
        IntermediateSize = 12,
        NumLayers = 2,
        NumAttentionHeads = 2,
        NumKeyValueHeads = 1,
        TieWordEmbeddings = tied,
        AttentionBias = modelType == "qwen2",
    };

    /// <summary>Every parameter of <paramref name="config"/>, filled with multiples of 1/16 in [-4, 4].</summary>
    public static Dictionary<string, Tensor> For(TransformerConfig config, int seed = 1)
    {
        var random = new Random(seed);
        return LlamaWeightNames.ExpectedShapes(config)
            .ToDictionary(pair => pair.Key, pair => Exact(random, pair.Value));
    }

    public static Tensor Exact(Random random, long[] shape)
    {
        long count = shape.Aggregate(1L, (product, size) => product * size);
        float[] values = Enumerable.Range(0, (int)count).Select(_ => random.Next(-64, 65) / 16f).ToArray();
        return tensor(values, shape, ScalarType.Float32, CPU);
    }

    public static long TotalElements(IReadOnlyDictionary<string, Tensor> weights) =>
        weights.Values.Sum(t => t.NumberOfElements);

    public static void Dispose(IReadOnlyDictionary<string, Tensor> weights)
    {
        foreach (var t in weights.Values)
        {
            t.Dispose();
        }
    }
}
