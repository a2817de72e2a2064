using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Fixtures;

/// <summary>Tiny randomly initialised models for fast tests (vocab ≤ 512, dim ≤ 64).</summary>
internal static class TinyModels
{
    public static TransformerConfig Config(string modelType = "llama", bool tied = true, int vocab = 96) => new()
    {
        ModelType = modelType,
        VocabSize = vocab,
        HiddenSize = 32,
        IntermediateSize = 48,
        NumLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 128,
        TieWordEmbeddings = tied,
        AttentionBias = modelType == "qwen2",
        BosTokenId = 1,
        EosTokenId = 2,
    };

    public static CausalLanguageModel Create(long seed = 1, string modelType = "llama", bool tied = true, int vocab = 96, ScalarType dtype = ScalarType.Float32)
    {
        var model = new CausalLanguageModel(Config(modelType, tied, vocab), dtype: dtype);
        model.InitializeWeights(new Generator((ulong)seed), std: 0.2);
        if (modelType == "qwen2")
        {
            using var noGrad = torch.no_grad();
            foreach (var (name, p) in model.named_parameters().Where(p => p.name.EndsWith(".bias", StringComparison.Ordinal)))
            {
                p.normal_(0, 0.2, new Generator((ulong)seed + 7));
            }
        }

        return model;
    }

    public static Tensor RandomIds(int batch, int length, int vocab, long seed) =>
        torch.randint(3, vocab, [batch, length], dtype: ScalarType.Int64, generator: new Generator((ulong)seed));
}
