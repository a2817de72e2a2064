using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;
using QuietStar.Core.Tests.Fixtures;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Inference;

/// <summary>Smoke test: stories260K freshly equipped for thinking (w ≡ 0) thinks before every token yet writes the reference story.</summary>
public sealed class Stories260KQuietDecodingTests
{
    [Fact]
    public void Freshly_equipped_stories260K_thinks_before_every_token_and_still_writes_the_greedy_reference()
    {
        using var stories = Stories260K.Load();
        var reference = Stories260K.LoadReference();
        using var model = QuietStarModel.Create(stories.Model, initTokenId: 464, new QuietStarOptions(), new Generator(1));
        var generator = QuietStarGenerator.For(model, stories.Tokenizer);

        var pieces = generator.Stream("", new GenerationOptions { Greedy = true, MaxTokens = 60, Seed = 1 }, new ThoughtOptions { IncludeThoughts = true }).ToList();

        generator.ThoughtTokens.Should().Be(9);
        pieces.Select(p => p.TokenId).Should().Equal(reference.Generated[..60]);
        pieces.Should().OnlyContain(p => p.Thought!.TokenIds.Count == 9 && p.Thought.MixingWeight == 0f && p.Thought.Text.Length > 0);
        pieces.Select(p => p.Thought!.Text).Distinct().Should().HaveCountGreaterThan(50, "thoughts are sampled at temperature 1");
    }
}
