using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;
using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Testing;

/// <summary>
/// Tiny random models for the unit tests of applications that use this library: no files, no download, built in
/// milliseconds on a CPU. The text they write is noise, but everything else is real: tokenizer, KV-cached decoding,
/// thoughts, mixing weights, training steps, checkpoints.
/// </summary>
/// <example>
/// <code>
/// using var quiet = TestModels.TinyPipeline(seed: 1);
/// await foreach (var piece in quiet.GenerateAsync("Hello", new GenerationOptions { MaxTokens = 5, Greedy = true, Seed = 1 }))
///     Console.WriteLine($"{piece.Text} «{piece.Thought}» w={piece.MixingWeight}");
/// </code>
/// </example>
public static class TestModels
{
    /// <summary>
    /// The tiny configuration: a Llama with vocabulary 257 (<see cref="TextTokenizer.ByteLevel"/>), hidden size 32,
    /// 2 layers, 4 attention heads over 2 key/value heads, context 512 (about 40k parameters).
    /// </summary>
    public static TransformerConfig TinyConfig => new()
    {
        ModelType = "llama",
        VocabSize = 257,
        HiddenSize = 32,
        IntermediateSize = 64,
        NumLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 512,
        TieWordEmbeddings = true,
        BosTokenId = 256,
        EosTokenId = 256,
    };

    /// <summary>
    /// Thought options that keep a tiny model fast: 4-token thoughts, 2 talk tokens, 2 passes, START/END seeded from
    /// "-" and "=", thinking before every token.
    /// </summary>
    public static QuietStarOptions TinyThoughts => new()
    {
        ThoughtTokens = 4,
        TalkTokens = 2,
        Passes = 2,
        PolicyLossWeight = 1,
        ThoughtInitText = "-",
        EndThoughtInitText = "=",
    };

    /// <summary>A source of the tiny model (<see cref="TinyConfig"/>) with random weights from <paramref name="seed"/> and the built-in byte-level tokenizer.</summary>
    public static ModelSource Tiny(long seed = 1) => ModelSource.Random(TinyConfig, TextTokenizer.ByteLevel(), seed);

    /// <summary>
    /// A tiny pipeline on the CPU in float32, equipped for Quiet-STaR with <see cref="TinyThoughts"/> (then
    /// <paramref name="configure"/>), whose mixing head is randomised too (a fresh head mixes with weight 0, so thoughts
    /// would change nothing): the same seed gives the same pipeline.
    /// </summary>
    /// <param name="seed">Seed of the weights, thought embeddings and mixing head.</param>
    /// <param name="configure">Changes to the thought options, applied after <see cref="TinyThoughts"/>.</param>
    public static QuietStarPipeline TinyPipeline(long seed = 1, Action<QuietStarOptions>? configure = null)
    {
        var options = TinyThoughts;
        configure?.Invoke(options);
        var pipeline = QuietStarBuilder.Create()
            .UseModel(Tiny(seed))
            .UseOptions(options)
            .UseDevice(torch.CPU)
            .UseSeed(seed)
            .Build();
        try
        {
            using var noGrad = torch.no_grad();
            using var generator = new Generator(unchecked((ulong)seed) + 0x5EED, torch.CPU);
            foreach (var (_, parameter) in pipeline.Model.named_parameters().Where(p => p.name.StartsWith("talk_head.", StringComparison.Ordinal)))
            {
                parameter.normal_(0, 0.5, generator);  // w spread over roughly (−1, 1) instead of 0
            }
        }
        catch
        {
            pipeline.Dispose();
            throw;
        }

        return pipeline;
    }
}
