using FluentAssertions;
using QuietStar.Core.Inference;
using QuietStar.Core.Tests.Evaluation;
using QuietStar.Core.Tokenization;
using TorchSharp;
using Xunit;

namespace QuietStar.Core.Tests.Inference;

/// <summary>Quiet decoding through the public generator, with tiny Quiet-STaR models over tok512 (T = 3, context 128).</summary>
public sealed class QuietStarGeneratorTests
{
    private const string Prompt = "Once upon a time";

    private static readonly ThoughtOptions Shown = new() { IncludeThoughts = true };

    private static TextTokenizer Tokenizer => EvaluationFixtures.Tok512;

    [Fact]
    public void With_the_zero_initialised_head_greedy_quiet_decoding_equals_base_greedy_decoding_exactly()
    {
        using var model = EvaluationFixtures.ThinkingModel(seed: 2);

        var quiet = QuietStarGenerator.For(model, Tokenizer).Stream(Prompt, Greedy(40), Shown).ToList();
        var plain = new TextGenerator(model.LanguageModel, Tokenizer).Generate(Prompt, Greedy(40));

        quiet.Select(p => p.TokenId).Should().Equal(plain.TokenIds);
        string.Concat(quiet.Select(p => p.Text)).Should().Be(plain.Text);
        quiet.Should().OnlyContain(p => p.Thought!.MixingWeight == 0f, "w ≡ 0 mixes in nothing, bit for bit");
        quiet.Should().OnlyContain(p => p.Thought!.TokenIds.Count == 3);
        quiet.Select(p => string.Join(",", p.Thought!.TokenIds)).Distinct().Should().HaveCountGreaterThan(10, "thoughts are sampled, not greedy");
    }

    [Fact]
    public void With_a_live_head_greedy_quiet_decoding_differs_from_base_decoding()
    {
        using var model = EvaluationFixtures.ThinkingModel(seed: 2, liveHead: true);

        var quiet = QuietStarGenerator.For(model, Tokenizer).Stream(Prompt, Greedy(40), Shown).ToList();
        var plain = new TextGenerator(model.LanguageModel, Tokenizer).Generate(Prompt, Greedy(40));

        quiet.Select(p => p.TokenId).Should().NotEqual(plain.TokenIds);
        quiet.Should().OnlyContain(p => float.IsFinite(p.Thought!.MixingWeight));
        quiet.Should().Contain(p => Math.Abs(p.Thought!.MixingWeight) > 1e-3f);
    }

    [Fact]
    public void The_same_seed_gives_the_same_text_and_thoughts_and_another_seed_other_thoughts()
    {
        using var model = EvaluationFixtures.ThinkingModel(seed: 3, liveHead: true);
        var generator = QuietStarGenerator.For(model, Tokenizer);
        var sampled = new GenerationOptions { Temperature = 0.8, TopP = 0.9, Seed = 5, MaxTokens = 30, StopAtEos = false };

        var first = generator.Stream(Prompt, sampled, Shown).ToList();
        var again = generator.Stream(Prompt, sampled, Shown).ToList();
        var other = generator.Stream(Prompt, sampled with { Seed = 6 }, Shown).ToList();
        var greedyOther = generator.Stream(Prompt, Greedy(30) with { Seed = 6 }, Shown).ToList();
        var greedySame = generator.Stream(Prompt, Greedy(30) with { Seed = 6 }, Shown).ToList();

        again.Should().BeEquivalentTo(first, o => o.WithStrictOrdering());
        Thoughts(other).Should().NotEqual(Thoughts(first));
        greedySame.Should().BeEquivalentTo(greedyOther, o => o.WithStrictOrdering(), "greedy text, but the thoughts are seeded");
    }

    [Fact]
    public void A_stop_string_ends_the_text_before_it()
    {
        using var model = EvaluationFixtures.ThinkingModel(seed: 2, liveHead: true);
        var generator = QuietStarGenerator.For(model, Tokenizer);
        string full = generator.Generate(Prompt, Greedy(60), new ThoughtOptions()).Text;
        string stop = full.Substring(full.Length / 2, 3);

        var stopped = generator.Generate(Prompt, Greedy(60) with { StopStrings = [stop] }, new ThoughtOptions());

        stopped.Text.Should().Be(full[..full.IndexOf(stop, StringComparison.Ordinal)]);
        stopped.StopReason.Should().Be(StopReason.StopString);
        stopped.TokenIds.Count.Should().BeLessThan(60);
    }

    [Fact]
    public void Each_row_of_a_batch_continues_as_its_prompt_alone_with_seed_plus_row()
    {
        using var model = EvaluationFixtures.ThinkingModel(seed: 4, liveHead: true);
        var generator = QuietStarGenerator.For(model, Tokenizer);
        string[] prompts = ["A cat sat on the mat and looked around", "Hi"];

        var batch = generator.GenerateBatch(prompts, Greedy(30) with { Seed = 11 }, new ThoughtOptions());

        batch[0].Should().BeEquivalentTo(generator.Generate(prompts[0], Greedy(30) with { Seed = 11 }, new ThoughtOptions()));
        batch[1].Should().BeEquivalentTo(generator.Generate(prompts[1], Greedy(30) with { Seed = 12 }, new ThoughtOptions()));
        batch[0].TokenIds.Should().NotEqual(batch[1].TokenIds);
    }

    [Fact]
    public void Thought_token_ids_are_never_text_nor_thought_even_when_the_classifier_favours_them()
    {
        using var model = EvaluationFixtures.ThinkingModel(seed: 5, liveHead: true);
        using (torch.no_grad())
        {
            model.LanguageModel.ClassifierWeight[512..].copy_(model.LanguageModel.ClassifierWeight[..2] * 50); // START/END rows: huge logits
        }

        var pieces = QuietStarGenerator.For(model, Tokenizer)
            .Stream(Prompt, new GenerationOptions { Temperature = 1, TopP = 1, Seed = 1, MaxTokens = 40, StopAtEos = false }, Shown).ToList();

        pieces.Should().HaveCount(40);
        pieces.Should().OnlyContain(p => p.TokenId < 512 && p.Thought!.TokenIds.All(id => id < 512));
    }

    [Fact]
    public void Thoughts_are_attached_only_when_asked_and_decode_with_the_tokenizer()
    {
        using var model = EvaluationFixtures.ThinkingModel(seed: 2, liveHead: true);
        var generator = QuietStarGenerator.For(model, Tokenizer, thoughtTokens: 5);

        var hidden = generator.Stream(Prompt, Greedy(8), new ThoughtOptions()).ToList();
        var shown = generator.Stream(Prompt, Greedy(8), Shown).ToList();

        generator.ThoughtTokens.Should().Be(5);
        hidden.Should().OnlyContain(p => p.Thought == null);
        shown.Select(p => p.TokenId).Should().Equal(hidden.Select(p => p.TokenId), "showing thoughts changes nothing else");
        shown.Should().OnlyContain(p => p.Thought!.TokenIds.Count == 5 && p.Thought.Text == Tokenizer.Decode(p.Thought.TokenIds));
    }

    [Fact]
    public void Without_thoughts_it_decodes_as_the_text_generator_for_plain_and_quiet_star_models()
    {
        using var model = EvaluationFixtures.ThinkingModel(seed: 2, liveHead: true);
        using var plainModel = EvaluationFixtures.PlainModel(seed: 6);
        var sampled = new GenerationOptions { Temperature = 0.9, Seed = 3, MaxTokens = 25, StopAtEos = false };

        var quietOff = QuietStarGenerator.For(model, Tokenizer).Stream(Prompt, sampled, ThoughtOptions.None).ToList();
        var plainOff = QuietStarGenerator.For(plainModel, Tokenizer).Generate(Prompt, sampled, ThoughtOptions.None);

        quietOff.Select(p => p.TokenId).Should().Equal(new TextGenerator(model.LanguageModel, Tokenizer).Generate(Prompt, sampled).TokenIds);
        quietOff.Should().OnlyContain(p => p.Thought == null);
        plainOff.Should().BeEquivalentTo(new TextGenerator(plainModel, Tokenizer).Generate(Prompt, sampled));
    }

    private static GenerationOptions Greedy(int maxTokens) => new() { Greedy = true, MaxTokens = maxTokens, StopAtEos = false, Seed = 9 };

    private static List<string> Thoughts(IEnumerable<ThoughtfulPiece> pieces) => pieces.Select(p => string.Join(",", p.Thought!.TokenIds)).ToList();
}
