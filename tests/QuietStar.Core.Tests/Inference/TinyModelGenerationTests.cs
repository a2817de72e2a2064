using FluentAssertions;
using QuietStar.Core.Inference;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tests.Tokenization;
using QuietStar.Core.Tokenization;
using Xunit;

namespace QuietStar.Core.Tests.Inference;

/// <summary>Generation with tiny random models: cache equivalence and tokenizer corner cases.</summary>
public sealed class TinyModelGenerationTests
{
    [Theory]
    [InlineData("llama", false)]
    [InlineData("mistral", false)]
    [InlineData("qwen2", false)]
    public void Kv_cached_greedy_generation_equals_generation_by_full_recomputation(string modelType, bool tied)
    {
        using var model = TinyModels.Create(seed: 11, modelType, tied, vocab: 512);
        var tokenizer = TokenizerTestData.LoadTok512();
        int[] prompt = tokenizer.Encode("Once upon a time", addBos: true);

        var cached = new TextGenerator(model, tokenizer)
            .Generate("Once upon a time", new GenerationOptions { Greedy = true, MaxTokens = 40, StopAtEos = false });

        cached.TokenIds.Should().Equal(Recomputation.Greedy(model, prompt, 40));
        cached.TokenIds.Distinct().Should().HaveCountGreaterThan(5, "a varied continuation, so a wrong cache would show");
    }

    [Fact]
    public void Batched_generation_of_a_tiny_model_equals_each_prompt_alone()
    {
        using var model = TinyModels.Create(seed: 12, vocab: 512);
        var generator = new TextGenerator(model, TokenizerTestData.LoadTok512());
        var options = new GenerationOptions { Greedy = true, MaxTokens = 30, StopAtEos = false };
        string[] prompts = ["A cat sat on the mat and looked around", "Hi"];

        var batch = generator.GenerateBatch(prompts, options);

        batch.Select(r => r.TokenIds).Should().BeEquivalentTo(
            prompts.Select(p => generator.Generate(p, options).TokenIds), o => o.WithStrictOrdering());
    }

    [Fact]
    public void Ids_beyond_the_tokenizer_are_never_generated_when_the_model_vocabulary_is_larger()
    {
        // 266-token GPT-2 vocabulary in a 400-row model: the 134 extra rows get huge logits but must not be chosen.
        using var folder = new TempFolder();
        var (vocab, merges) = TokenizerTestData.WriteTinyGpt2(folder.Path);
        var tokenizer = TextTokenizer.FromGpt2Bpe(vocab, merges);
        using var model = TinyModels.Create(seed: 13, tied: false, vocab: 400);
        using (TorchSharp.torch.no_grad())
        {
            model.ClassifierWeight[266..].copy_(model.ClassifierWeight[..134] * 100); // rows 266..399: large multiples of real rows
        }

        var result = new TextGenerator(model, tokenizer)
            .Generate("hello world", new GenerationOptions { Temperature = 1, TopP = 1, Seed = 1, MaxTokens = 60, StopAtEos = false });

        result.TokenIds.Should().HaveCount(60).And.OnlyContain(id => id < tokenizer.VocabularySize);
    }

    [Fact]
    public void Empty_prompt_without_a_BOS_token_is_rejected_with_a_clear_message()
    {
        using var folder = new TempFolder();
        var (vocab, merges) = TokenizerTestData.WriteTinyGpt2(folder.Path, withEndOfText: false);
        var tokenizer = TextTokenizer.FromGpt2Bpe(vocab, merges);
        using var model = TinyModels.Create(vocab: 265);
        var generator = new TextGenerator(model, tokenizer);

        FluentActions.Invoking(() => generator.Stream("", new GenerationOptions { Greedy = true }))
            .Should().Throw<ArgumentException>().WithMessage("The prompt is empty and the tokenizer has no BOS token*");
        generator.Generate("hello", new GenerationOptions { Greedy = true, MaxTokens = 3, StopAtEos = false }).TokenIds.Should().HaveCount(3);
    }
}
