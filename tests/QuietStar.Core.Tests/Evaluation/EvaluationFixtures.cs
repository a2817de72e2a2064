using QuietStar.Core.Algorithm;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Evaluation;

/// <summary>Data paths, llama2.c's tok512 tokenizer and tiny models over its 512-token vocabulary.</summary>
internal static class EvaluationFixtures
{
    private static readonly Lazy<TextTokenizer> Tok512Tokenizer = new(() => TextTokenizer.FromSentencePiece(TestData("stories260k", "tok512.model")));

    public static TextTokenizer Tok512 => Tok512Tokenizer.Value;

    public static string Gsm8kPath => TestData("gsm8k", "test_shared.jsonl");

    public static string CommonsenseQaPath => TestData("commonsenseqa", "dev_shared.jsonl");

    public static string TestData(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    /// <summary>A tiny plain model over tok512's vocabulary (context 128).</summary>
    public static CausalLanguageModel PlainModel(long seed = 1) => TinyModels.Create(seed, vocab: 512);

    /// <summary>A tiny Quiet-STaR model over tok512's vocabulary; with <paramref name="liveHead"/> its mixing head is non-zero.</summary>
    public static QuietStarModel ThinkingModel(long seed = 1, bool liveHead = false)
    {
        var options = TinyQuietStar.SmallOptions();
        var model = QuietStarModel.Create(PlainModel(seed), initTokenId: 464, options, new Generator((ulong)seed + 100));
        if (liveHead)
        {
            using var noGrad = torch.no_grad();
            foreach (var (_, p) in model.named_parameters().Where(p => p.name.StartsWith("talk_head.", StringComparison.Ordinal)))
            {
                p.normal_(0, 0.5, new Generator((ulong)seed + 200));
            }
        }

        return model;
    }

    /// <summary>Token ids as an int64 <c>[1, L]</c> tensor.</summary>
    public static Tensor Row(int[] ids) => torch.tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]);

    /// <summary>softmax over <paramref name="allowed"/> of one logit row, at <paramref name="target"/>; computed in plain doubles.</summary>
    public static double RestrictedSoftmax(Tensor row, int[] allowed, int target)
    {
        double[] values = [.. allowed.Select(id => (double)row[id].item<float>())];
        double max = values.Max();
        double total = values.Sum(v => Math.Exp(v - max));
        return Math.Exp(values[Array.IndexOf(allowed, target)] - max) / total;
    }
}
