using FluentAssertions;
using QuietStar.Core.Tokenization;
using Xunit;

namespace QuietStar.Core.Tests.Tokenization;

public class SentencePieceTokenizerTests
{
    private readonly TextTokenizer _tokenizer = TokenizerTestData.LoadTok512();

    [Fact]
    public void Tok512_has_llama2c_shape()
    {
        _tokenizer.BaseVocabularySize.Should().Be(512);
        _tokenizer.VocabularySize.Should().Be(512);
        _tokenizer.BosId.Should().Be(1);
        _tokenizer.EosId.Should().Be(2);
        _tokenizer.ExtraSpecialTokens.Should().BeEmpty();
    }

    [Fact]
    public void Encode_with_bos_matches_llama2c()
    {
        _tokenizer.Encode("Once upon a time", addBos: true).Should().Equal(1, 403, 407, 261, 378);
    }

    [Fact]
    public void Encode_keeps_the_dummy_prefix_space_as_its_own_token()
    {
        _tokenizer.Encode("---").Should().Equal(410, 464, 464, 464);
    }

    [Fact]
    public void Encode_of_empty_text_adds_no_dummy_prefix()
    {
        _tokenizer.Encode("").Should().BeEmpty();
        _tokenizer.Encode("", addBos: true).Should().Equal(1);
    }

    // Expected ids computed with llama2.c's run.c encoding algorithm over tok512.bin.
    [Theory]
    [InlineData("x  y\n\nz", new[] { 410, 444, 410, 348, 13, 13, 451 })]
    [InlineData(" leading", new[] { 410, 278, 411, 380, 299 })]
    [InlineData("trailing ", new[] { 259, 420, 412, 290, 299, 410 })]
    [InlineData("\t\ttab", new[] { 410, 12, 12, 413, 412, 430 })]
    [InlineData("a#=b é 😀", new[] { 261, 38, 64, 430, 410, 485, 410, 243, 162, 155, 131 })]
    [InlineData("naïve café — “quotes” 日本",
        new[] { 297, 412, 198, 178, 360, 280, 412, 431, 485, 410, 481, 410, 465, 456, 425, 309, 406, 466, 410, 233, 154, 168, 233, 159, 175 })]
    [InlineData("Tom had 3 apples. He ate 2; 5+7=12 {x_y} @home ^_^",
        new[] { 274, 287, 381, 410, 472, 261, 339, 305, 419, 426, 346, 261, 413, 411, 410, 479, 474, 410, 480, 496, 491, 64, 475, 479, 410, 126, 444, 98, 422, 128, 410, 67, 415, 287, 411, 410, 97, 98, 97 })]
    public void Encode_matches_llama2c_on_whitespace_bytes_and_symbols(string text, int[] expected)
    {
        _tokenizer.Encode(text).Should().Equal(expected);
    }

    [Fact]
    public void Decode_of_reference_generation_equals_reference_text()
    {
        (int[] ids, string text) = TokenizerTestData.LoadReferenceGreedy();

        ids.Should().HaveCount(257).And.StartWith(1);
        _tokenizer.Decode(ids).Should().Be(text);
    }

    [Fact]
    public void Stream_decoder_fed_reference_ids_one_by_one_concatenates_to_reference_text()
    {
        (int[] ids, string text) = TokenizerTestData.LoadReferenceGreedy();
        TokenStreamDecoder decoder = _tokenizer.CreateStreamDecoder();

        string streamed = string.Concat(ids.Select(decoder.Append)) + decoder.Flush();

        streamed.Should().Be(text);
    }

    [Fact]
    public void Decode_drops_the_leading_space_only_right_after_bos()
    {
        _tokenizer.Decode([1, 403, 407]).Should().Be("Once upon");
        _tokenizer.Decode([403, 407]).Should().Be(" Once upon");
        _tokenizer.Decode([1, 403, 2, 1, 403, 407]).Should().Be("OnceOnce upon");
    }

    [Theory]
    [InlineData("Once upon a time")]
    [InlineData("x  y\n\nz")]
    [InlineData(" leading and trailing ")]
    [InlineData("a#=b é 😀 {x_y}")]
    [InlineData("naïve café — “quotes” 日本")]
    public void Decode_after_encode_with_bos_round_trips(string text)
    {
        _tokenizer.Decode(_tokenizer.Encode(text, addBos: true)).Should().Be(text);
    }

    [Fact]
    public void Stream_decoder_holds_back_byte_tokens_until_the_character_is_complete()
    {
        int[] emoji = _tokenizer.Encode("😀")[1..];
        TokenStreamDecoder decoder = _tokenizer.CreateStreamDecoder();

        emoji.Should().Equal(243, 162, 155, 131);
        emoji.Select(decoder.Append).Should().Equal("", "", "", "😀");
        decoder.Flush().Should().BeEmpty();
    }

    [Fact]
    public void Stream_decoder_emits_the_leading_space_of_a_continuation()
    {
        TokenStreamDecoder decoder = _tokenizer.CreateStreamDecoder();

        new[] { 1, 403, 407 }.Select(decoder.Append).Should().Equal("", "Once", " upon");
    }

    [Fact]
    public void Incomplete_utf8_at_the_end_becomes_a_replacement_character()
    {
        TokenStreamDecoder decoder = _tokenizer.CreateStreamDecoder();

        decoder.Append(243).Should().BeEmpty();
        decoder.Append(162).Should().BeEmpty();
        decoder.Flush().Should().Be("\uFFFD");
        _tokenizer.Decode([243, 162, 403]).Should().Be("\uFFFD Once");
    }

    [Fact]
    public void Decode_rejects_ids_outside_the_vocabulary()
    {
        FluentActions.Invoking(() => _tokenizer.Decode([403, 512]))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*512*");
        FluentActions.Invoking(() => _tokenizer.CreateStreamDecoder().Append(-1))
            .Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Loading_from_a_stream_gives_the_same_tokenizer_and_leaves_the_stream_open()
    {
        using FileStream stream = File.OpenRead(TokenizerTestData.Tok512ModelPath);

        TextTokenizer fromStream = TextTokenizer.FromSentencePiece(stream);

        stream.CanRead.Should().BeTrue();
        fromStream.BaseVocabularySize.Should().Be(512);
        fromStream.Encode("Once upon a time", addBos: true).Should().Equal(1, 403, 407, 261, 378);
    }
}
