using FluentAssertions;
using QuietStar.Core.Tokenization;
using Xunit;

namespace QuietStar.Core.Tests.Tokenization;

public class ExtraSpecialTokenTests
{
    private const string StartThought = "<|startthought|>";
    private const string EndThought = "<|endthought|>";

    private readonly TextTokenizer _base = TokenizerTestData.LoadTok512();
    private readonly TextTokenizer _thoughts;

    public ExtraSpecialTokenTests() => _thoughts = _base.WithExtraSpecialTokens(StartThought, EndThought);

    [Fact]
    public void New_tokens_are_numbered_after_the_base_vocabulary_in_the_order_given()
    {
        _thoughts.BaseVocabularySize.Should().Be(512);
        _thoughts.VocabularySize.Should().Be(514);
        _thoughts.GetExtraTokenId(StartThought).Should().Be(512);
        _thoughts.GetExtraTokenId(EndThought).Should().Be(513);
        _thoughts.ExtraSpecialTokens.Should().BeEquivalentTo(new Dictionary<string, int> { [StartThought] = 512, [EndThought] = 513 });
    }

    [Fact]
    public void Registering_returns_a_new_tokenizer_and_leaves_the_original_unchanged()
    {
        _thoughts.Should().NotBeSameAs(_base);
        _base.VocabularySize.Should().Be(512);
        _base.ExtraSpecialTokens.Should().BeEmpty();
        _base.Encode(StartThought).Should().NotContain(512);
    }

    [Fact]
    public void A_later_registration_continues_the_numbering()
    {
        TextTokenizer more = _thoughts.WithExtraSpecialTokens("<|pad|>");

        more.GetExtraTokenId("<|pad|>").Should().Be(514);
        more.VocabularySize.Should().Be(515);
    }

    [Fact]
    public void Tokens_in_text_encode_to_their_ids_between_normally_encoded_text()
    {
        _thoughts.Encode($"a{StartThought}b{EndThought}").Should().Equal(261, 512, 430, 513);
        _thoughts.Encode($"Once{StartThought} upon", addBos: true).Should().Equal(1, 403, 512, 407);
    }

    [Fact]
    public void Text_starting_with_a_token_still_gets_the_dummy_prefix_space()
    {
        _thoughts.Encode($"{StartThought}b").Should().Equal(410, 512, 430);
    }

    [Theory]
    [InlineData("Lily<|startthought|> she is happy<|endthought|> smiled.")]
    [InlineData("<|startthought|><|endthought|>")]
    [InlineData("x <|startthought|>  é😀 <|endthought|>\n")]
    public void Text_with_tokens_round_trips_through_encode_and_decode(string text)
    {
        _thoughts.Decode(_thoughts.Encode(text, addBos: true)).Should().Be(text);
    }

    [Fact]
    public void Token_ids_decode_to_the_token_text_also_when_streamed()
    {
        TokenStreamDecoder decoder = _thoughts.CreateStreamDecoder();

        _thoughts.Decode([512, 513]).Should().Be(StartThought + EndThought);
        new[] { 1, 403, 512, 407, 513 }.Select(decoder.Append).Should().Equal("", "Once", StartThought, " upon", EndThought);
    }

    [Fact]
    public void The_longest_token_wins_where_two_start_at_the_same_place()
    {
        TextTokenizer tokenizer = _base.WithExtraSpecialTokens("<|x|>", "<|x|><|y|>");

        tokenizer.Encode("<|x|><|y|><|x|>").Should().Equal(410, 513, 512);
    }

    [Fact]
    public void Unknown_token_lookup_names_the_token_and_the_registered_ones()
    {
        FluentActions.Invoking(() => _thoughts.GetExtraTokenId("<|nope|>"))
            .Should().Throw<KeyNotFoundException>()
            .WithMessage("*<|nope|>*")
            .And.Message.Should().Contain(StartThought).And.Contain(EndThought);
    }

    [Fact]
    public void Duplicate_empty_or_base_vocabulary_tokens_are_rejected()
    {
        FluentActions.Invoking(() => _thoughts.WithExtraSpecialTokens(StartThought))
            .Should().Throw<ArgumentException>().WithMessage($"*{StartThought}*");
        FluentActions.Invoking(() => _base.WithExtraSpecialTokens("<|a|>", "<|a|>"))
            .Should().Throw<ArgumentException>().WithMessage("*<|a|>*");
        FluentActions.Invoking(() => _base.WithExtraSpecialTokens(""))
            .Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => _base.WithExtraSpecialTokens("<s>"))
            .Should().Throw<ArgumentException>().WithMessage("*<s>*token 1*");
    }

    [Fact]
    public void EnsureFits_checks_the_base_vocabulary_only()
    {
        FluentActions.Invoking(() => _thoughts.EnsureFits(512)).Should().NotThrow();
    }
}
