using FluentAssertions;
using QuietStar.Core.Tokenization;
using Xunit;
using static QuietStar.Core.Tests.Tokenization.TokenizerTestData;

namespace QuietStar.Core.Tests.Tokenization;

public sealed class Gpt2BpeTokenizerTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly TextTokenizer _tokenizer;

    public Gpt2BpeTokenizerTests()
    {
        (string vocab, string merges) = WriteTinyGpt2(_folder.Path);
        _tokenizer = TextTokenizer.FromGpt2Bpe(vocab, merges);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Shape_comes_from_vocab_json_with_endoftext_as_bos_and_eos()
    {
        _tokenizer.BaseVocabularySize.Should().Be(266);
        _tokenizer.VocabularySize.Should().Be(266);
        _tokenizer.BosId.Should().Be(EndOfText);
        _tokenizer.EosId.Should().Be(EndOfText);
    }

    [Fact]
    public void Encode_applies_the_merges_to_space_prefixed_words()
    {
        _tokenizer.Encode("hello world").Should().Equal(Hello, SpaceWorld);
        _tokenizer.Encode("hello world", addBos: true).Should().Equal(EndOfText, Hello, SpaceWorld);
        _tokenizer.Encode("").Should().BeEmpty();
    }

    [Fact]
    public void Characters_without_merges_fall_back_to_their_byte_symbols()
    {
        // 'é' is UTF-8 C3 A9, spelled 'Ã' '©', whose ids are their byte values in this vocabulary.
        _tokenizer.Encode("wé!").Should().Equal('w', 0xC3, 0xA9, '!');
    }

    [Theory]
    [InlineData("hello world")]
    [InlineData(" hello  world\n\tworld!")]
    [InlineData("naïve café 😀 <|endoftext|>")]
    public void Decode_after_encode_round_trips(string text)
    {
        _tokenizer.Decode(_tokenizer.Encode(text)).Should().Be(text);
    }

    [Fact]
    public void Endoftext_decodes_to_nothing_and_no_leading_space_is_dropped_after_it()
    {
        _tokenizer.Decode([EndOfText, SpaceWorld, EndOfText]).Should().Be(" world");
    }

    [Fact]
    public void Stream_decoder_completes_a_multibyte_character_with_its_last_byte()
    {
        TokenStreamDecoder decoder = _tokenizer.CreateStreamDecoder();

        new[] { Hello, SpaceW, 0xC3, 0xA9 }.Select(decoder.Append).Should().Equal("hello", " w", "", "é");
    }

    [Fact]
    public void Extra_special_tokens_are_numbered_after_the_vocabulary_and_round_trip()
    {
        TextTokenizer tokenizer = _tokenizer.WithExtraSpecialTokens("<|startthought|>", "<|endthought|>");
        const string text = "hello<|startthought|> world<|endthought|>";

        tokenizer.VocabularySize.Should().Be(268);
        tokenizer.Encode(text).Should().Equal(Hello, 266, SpaceWorld, 267);
        tokenizer.Decode(tokenizer.Encode(text)).Should().Be(text);
    }

    [Fact]
    public void Encode_with_bos_fails_clearly_when_there_is_no_bos_token()
    {
        using var folder = new TempFolder();
        (string vocab, string merges) = WriteTinyGpt2(folder.Path, withEndOfText: false);
        TextTokenizer tokenizer = TextTokenizer.FromGpt2Bpe(vocab, merges);

        tokenizer.BosId.Should().BeNull();
        FluentActions.Invoking(() => tokenizer.Encode("hello", addBos: true))
            .Should().Throw<InvalidOperationException>().WithMessage("*no BOS*");
    }
}
