using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training;

/// <summary>
/// A model in Float16 or BFloat16 thinks and trains on the CPU: START/END are masked with a value the logits' dtype
/// can hold (−1e10 overflows Half: libtorch refuses the fill), and the REINFORCE log-probabilities are taken in float32.
/// </summary>
public sealed class HalfPrecisionTests
{
    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void One_training_step_runs_with_finite_loss_gradients_and_float32_thought_log_probabilities(ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var options = new QuietStarOptions { ThoughtTokens = 3, TalkTokens = 2, Passes = 2, PolicyLossWeight = 1, NormalizeAdvantages = true };
        using var model = TinyQuietStar.Create(options, seed: 31, liveHead: true, dtype: dtype);
        var ids = TinyModels.RandomIds(2, 8, 96, seed: 32);                                        // [B, L]

        var result = new QuietStarObjective(model).Compute(ids, null, new Generator(33));
        result.Loss.backward();

        double loss = result.Loss.to_type(ScalarType.Float64).item<double>();
        double.IsFinite(loss).Should().BeTrue();
        result.Rollout.ThoughtLogProbs.dtype.Should().Be(ScalarType.Float32, "the REINFORCE log-softmax runs in float32");
        result.Rollout.ThoughtIds.max().item<long>().Should().BeLessThan(model.StartThoughtId, "START and END are never sampled");
        model.parameters().Where(p => p.grad is not null).Should().NotBeEmpty()
            .And.OnlyContain(p => p.grad!.isfinite().all().item<bool>());
        model.named_parameters().Single(p => p.name.StartsWith("thought_embeddings.", StringComparison.Ordinal) && p.name.Contains("start", StringComparison.OrdinalIgnoreCase)).parameter.grad
            .Should().NotBeNull("START is trained through the talk loss");
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Quiet_decoding_runs_and_generates_text(ScalarType dtype)
    {
        var tokenizer = TextTokenizer.FromSentencePiece(Stories260K.TokenizerPath);
        var options = new QuietStarOptions { ThoughtTokens = 3, TalkTokens = 2, Passes = 2, Decoding = ThoughtDecoding.ThinkThenSpeak };
        using var model = QuietStarModel.Create(TinyModels.Create(seed: 34, vocab: 512, dtype: dtype), initTokenId: 5, options, new Generator(35));

        var text = QuietStarGenerator.For(model, tokenizer).Generate("Once", new GenerationOptions { MaxTokens = 6, Greedy = true, StopAtEos = false, Seed = 2 },
            new ThoughtOptions());

        text.TokenIds.Should().HaveCount(6, "six tokens, each after a thought masked in at least float32 (Half refused −1e10 before)");
    }
}
