using FluentAssertions;
using QuietStar.Core.Inference;
using QuietStar.Core.Tests.Evaluation;
using Xunit;

namespace QuietStar.Core.Tests.Inference;

/// <summary>Bad quiet-decoding requests fail at the call, before any model work, with a message naming the problem.</summary>
public sealed class QuietGenerationErrorTests
{
    private const string Prompt = "Once upon a time"; // BOS + 4 tokens

    [Fact]
    public void A_plain_model_asked_to_think_is_refused_with_the_reason()
    {
        using var plain = EvaluationFixtures.PlainModel();
        var generator = QuietStarGenerator.For(plain, EvaluationFixtures.Tok512);

        generator.CanThink.Should().BeFalse();
        FluentActions.Invoking(() => generator.Stream(Prompt, new GenerationOptions { Greedy = true }, new ThoughtOptions()))
            .Should().Throw<InvalidOperationException>().WithMessage("*no thought tokens*plain language model*ThoughtOptions.None*");
        FluentActions.Invoking(() => generator.GenerateBatch([Prompt], new GenerationOptions { Greedy = true }, new ThoughtOptions()))
            .Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void The_last_tokens_thought_must_fit_the_context_and_the_bound_is_exact()
    {
        using var model = EvaluationFixtures.ThinkingModel(); // context 128, T = 3
        var generator = QuietStarGenerator.For(model, EvaluationFixtures.Tok512);
        var options = new GenerationOptions { Greedy = true, MaxTokens = 120, StopAtEos = false };

        // 5 prompt tokens at positions 0..4; token n is chosen after the token at 3 + n, whose thought ends at 3 + n + T + 2.
        // For n = 120 that is 128: beyond positions 0..127. 119 tokens reach 127 exactly.
        generator.MaxThoughtfulTokens(5).Should().Be(119);
        FluentActions.Invoking(() => generator.Stream(Prompt, options, new ThoughtOptions()))
            .Should().Throw<ArgumentException>()
            .WithMessage("The prompt has 5 tokens and MaxTokens is 120: with 3-token thoughts*t+1 … t+5*reaches position 128, beyond the model's context of 128*at most 119*");
        generator.Generate(Prompt, options with { MaxTokens = 119 }, new ThoughtOptions()).TokenIds.Should().HaveCount(119);
        generator.Stream(Prompt, options, ThoughtOptions.None).Should().HaveCount(120, "without thoughts only the text must fit");
    }

    [Fact]
    public void Invalid_thought_requests_are_rejected()
    {
        using var model = EvaluationFixtures.ThinkingModel();
        var generator = QuietStarGenerator.For(model, EvaluationFixtures.Tok512);

        FluentActions.Invoking(() => generator.Stream(Prompt, new GenerationOptions { Greedy = true }, new ThoughtOptions { Think = false, IncludeThoughts = true }))
            .Should().Throw<ArgumentException>().WithMessage("ThoughtOptions.IncludeThoughts needs Think*");
        FluentActions.Invoking(() => QuietStarGenerator.For(model, EvaluationFixtures.Tok512, thoughtTokens: 0))
            .Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => generator.Stream(Prompt, new GenerationOptions { MaxTokens = 0 }, new ThoughtOptions()))
            .Should().Throw<ArgumentException>().WithMessage("GenerationOptions.MaxTokens must be positive*");
        FluentActions.Invoking(() => generator.GenerateBatch([], new GenerationOptions(), new ThoughtOptions()))
            .Should().Throw<ArgumentException>().WithMessage("Give at least one prompt.*");
    }
}
