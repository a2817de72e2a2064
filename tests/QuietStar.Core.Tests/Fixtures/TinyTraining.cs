using System.Runtime.InteropServices;
using System.Text;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Tokenization;
using QuietStar.Core.Tokenization;
using QuietStar.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Fixtures;

/// <summary>A tiny model over llama2.c's 512-token vocabulary, a small arithmetic corpus and fast training options.</summary>
internal static class TinyTraining
{
    public static QuietStarOptions Thoughts => new() { ThoughtTokens = 2, TalkTokens = 2, Passes = 2, PolicyLossWeight = 100 };

    public static TrainingOptions Options => new()
    {
        Steps = 3,
        LearningRate = 1e-3,
        WarmupSteps = 2,
        Schedule = LearningRateSchedule.Cosine,
        BatchSize = 2,
        GradientAccumulation = 2,
        SequenceLength = 16,
        Seed = 7,
        ValidationFraction = 0.2,
        EvalEvery = 2,
        EvalBatches = 1,
    };

    /// <summary>
    /// Sets <paramref name="o"/> for a few fast steps: one sequence of 16 tokens per step, no warm-up, no validation
    /// unless asked, one validation batch from a fifth of the corpus, checkpoints into <paramref name="checkpoint"/>.
    /// </summary>
    public static void Fast(TrainingOptions o, int steps, string? checkpoint)
    {
        o.Steps = steps;
        o.LearningRate = 1e-2;
        o.BatchSize = 1;
        o.GradientAccumulation = 1;
        o.SequenceLength = 16;
        o.WarmupSteps = 0;
        o.EvalEvery = 0;
        o.EvalBatches = 1;
        o.ValidationFraction = 0.2;
        o.CheckpointFolder = checkpoint;
    }

    public static TextTokenizer Tokenizer() => TokenizerTestData.LoadTok512();

    /// <summary>A vocab-512 model equipped for Quiet-STaR (vocabulary 514), START/END seeded from "-".</summary>
    public static QuietStarModel Model(TextTokenizer tokenizer, long seed = 1, QuietStarOptions? options = null)
    {
        var lm = TinyModels.Create(seed, vocab: tokenizer.BaseVocabularySize);
        int init = ThoughtInitToken.Choose(tokenizer.Encode("---"), id => tokenizer.Decode([id]), ThoughtInitRule.SkipDummyPrefix);
        return QuietStarModel.Create(lm, init, options ?? Thoughts, new Generator((ulong)seed + 100));
    }

    /// <summary><paramref name="documents"/> short word problems separated by blank lines; every fifth is a one-word document.</summary>
    public static string Text(int documents)
    {
        var text = new StringBuilder();
        for (int i = 0; i < documents; i++)
        {
            int a = (i * 7 % 13) + 1, b = (i * 5 % 11) + 2;
            text.Append(i % 5 == 4 ? "Yes." : $"Question: Tom has {a} apples and buys {b} more. How many?\nAnswer: {a}+{b}={a + b}.\n#### {a + b}");
            text.Append("\n\n");
        }

        return text.ToString();
    }

    public static TextCorpus Corpus(TextTokenizer tokenizer, int documents = 30) =>
        TextCorpus.FromReader(new StringReader(Text(documents)), "tiny.txt", tokenizer);

    /// <summary>Copies of every parameter, by name.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone().DetachFromDisposeScope());

    /// <summary>The raw bits of a float32 tensor (so that −0 ≠ +0 and NaN payloads count).</summary>
    public static int[] Bits(Tensor t) => MemoryMarshal.Cast<float, int>(t.detach().cpu().contiguous().data<float>().ToArray()).ToArray();
}
