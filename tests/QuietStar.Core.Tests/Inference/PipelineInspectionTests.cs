using FluentAssertions;
using QuietStar.Core.Testing;
using TorchSharp;
using Xunit;

namespace QuietStar.Core.Tests.Inference;

/// <summary><see cref="QuietStarPipeline.InspectAsync"/>: the per-token picture of a text with a thought at every position.</summary>
public sealed class PipelineInspectionTests
{
    [Fact]
    public async Task Every_token_after_the_first_gets_its_thought_weight_and_both_NLLs_and_the_seed_fixes_the_thoughts()
    {
        using var pipeline = TestModels.TinyPipeline(seed: 5);
        const string text = "Hello, world";
        int tokens = pipeline.Tokenizer.Encode(text, addBos: true).Length;

        var first = await pipeline.InspectAsync(text, seed: 3);
        var again = await pipeline.InspectAsync(text, seed: 3);
        var other = await pipeline.InspectAsync(text, seed: 4);

        first.Should().HaveCount(tokens - 1);
        first.Select(t => t.Position).Should().Equal(Enumerable.Range(1, tokens - 1));
        string.Concat(first.Select(t => t.Text)).Should().Be(text);
        first.Should().OnlyContain(t => t.BaseNll > 0 && double.IsFinite(t.AfterThoughtNll) && float.IsFinite(t.MixingWeight));
        first.Should().Contain(t => Math.Abs(t.Gain) > 1e-4, "the tiny pipeline's mixing head is live");
        again.Should().Equal(first);
        other.Select(t => t.Thought).Should().NotEqual(first.Select(t => t.Thought));
    }

    [Fact]
    public async Task With_a_fresh_mixing_head_the_thought_changes_nothing()
    {
        // A freshly equipped model mixes with w ≡ 0: the after-thought prediction is the base one, so every gain is 0.
        using var pipeline = QuietStarBuilder.Create().UseModel(TestModels.Tiny(seed: 2)).UseOptions(TestModels.TinyThoughts).UseDevice(torch.CPU).Build();

        var picture = await pipeline.InspectAsync("abcdef");

        picture.Should().OnlyContain(t => t.MixingWeight == 0);
        picture.Should().OnlyContain(t => Math.Abs(t.Gain) < 1e-5);
    }

    [Fact]
    public void Too_short_or_too_long_a_text_is_refused_with_the_limits_named()
    {
        using var pipeline = TestModels.TinyPipeline(seed: 1);

        Action tooShort = () => pipeline.InspectAsync("a");
        tooShort.Should().Throw<ArgumentException>().WithMessage("*has 2 tokens; inspecting needs 3 to *");
        Action tooLong = () => pipeline.InspectAsync(new string('x', 600));
        tooLong.Should().Throw<ArgumentException>().WithMessage("*context of 512*");
    }
}
