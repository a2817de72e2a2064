using FluentAssertions;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;
using QuietStar.Core.Tests.Fixtures;
using Xunit;

namespace QuietStar.Core.Tests.Inference;

/// <summary>Bad generation requests fail at the call, before any model work, with a message naming the problem.</summary>
public sealed class GenerationErrorTests : IDisposable
{
    private readonly PretrainedModel stories = Stories260K.Load();

    public void Dispose() => stories.Dispose();

    [Fact]
    public void Prompt_plus_max_tokens_beyond_the_context_names_both_numbers_and_the_context()
    {
        var generator = new TextGenerator(stories.Model, stories.Tokenizer);
        var options = new GenerationOptions { Greedy = true, MaxTokens = 508 };

        // "Once upon a time" is BOS + 4 tokens: 5 + 508 = 513 > 512. Stream throws at the call, not on enumeration.
        FluentActions.Invoking(() => generator.Stream("Once upon a time", options))
            .Should().Throw<ArgumentException>()
            .WithMessage("The prompt has 5 tokens and MaxTokens is 508: 513 tokens do not fit the model's context of 512.*at most 507*");
        generator.Stream("Once upon a time", options with { MaxTokens = 507 }).Take(2).Should().HaveCount(2);
    }

    [Fact]
    public void Prompt_longer_than_the_context_is_rejected_naming_its_length()
    {
        string prompt = string.Join(' ', Enumerable.Repeat("Once upon a time there was a dog.", 80));
        int length = stories.Tokenizer.Encode(prompt, addBos: true).Length;
        length.Should().BeGreaterThan(512);

        FluentActions.Invoking(() => new TextGenerator(stories.Model, stories.Tokenizer).Generate(prompt, new GenerationOptions { Greedy = true, MaxTokens = 1 }))
            .Should().Throw<ArgumentException>()
            .WithMessage($"The prompt has {length} tokens and MaxTokens is 1: {length + 1} tokens do not fit the model's context of 512.*");
    }

    [Fact]
    public void In_a_batch_the_longest_prompt_counts()
    {
        string longPrompt = string.Join(' ', Enumerable.Repeat("The dog ran.", 40));
        int length = stories.Tokenizer.Encode(longPrompt, addBos: true).Length;

        FluentActions.Invoking(() => new TextGenerator(stories.Model, stories.Tokenizer)
                .GenerateBatch(["Hi", longPrompt], new GenerationOptions { Greedy = true, MaxTokens = 513 - length }))
            .Should().Throw<ArgumentException>().WithMessage($"The prompt has {length} tokens*513 tokens do not fit*");
    }

    [Theory]
    [InlineData(0, false, 1.0, 0.9, "GenerationOptions.MaxTokens must be positive, got 0.*")]
    [InlineData(10, false, 0.0, 0.9, "GenerationOptions.Temperature must be a positive number, got 0*Greedy*")]
    [InlineData(10, false, 1.0, 0.0, "GenerationOptions.TopP must be in (0, 1], got 0.*")]
    [InlineData(10, false, 1.0, 1.5, "GenerationOptions.TopP must be in (0, 1], got 1.5.*")]
    public void Invalid_options_are_rejected_naming_the_option(int maxTokens, bool greedy, double temperature, double topP, string message)
    {
        var options = new GenerationOptions { MaxTokens = maxTokens, Greedy = greedy, Temperature = temperature, TopP = topP };

        FluentActions.Invoking(() => new TextGenerator(stories.Model, stories.Tokenizer).Stream("Hi", options))
            .Should().Throw<ArgumentException>().WithMessage(message);
    }

    [Fact]
    public void Empty_stop_string_and_empty_batch_are_rejected()
    {
        var generator = new TextGenerator(stories.Model, stories.Tokenizer);

        FluentActions.Invoking(() => generator.Stream("Hi", new GenerationOptions { StopStrings = [""] }))
            .Should().Throw<ArgumentException>().WithMessage("GenerationOptions.StopStrings must not contain null or empty strings.*");
        FluentActions.Invoking(() => generator.GenerateBatch([], new GenerationOptions()))
            .Should().Throw<ArgumentException>().WithMessage("Give at least one prompt.*");
    }
}
