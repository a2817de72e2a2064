using System.Text;
using FluentAssertions;
using QuietStar.Core.Tokenization;
using Xunit;

namespace QuietStar.Core.Tests.Tokenization;

public sealed class TokenizerErrorTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Missing_sentencepiece_model_names_the_path()
    {
        string missing = _folder.File("tokenizer.model");

        FluentActions.Invoking(() => TextTokenizer.FromSentencePiece(missing))
            .Should().Throw<FileNotFoundException>().Where(e => e.FileName == missing && e.Message.Contains(missing));
    }

    [Fact]
    public void Missing_gpt2_file_names_the_path()
    {
        (string vocab, string merges) = TokenizerTestData.WriteTinyGpt2(_folder.Path);
        File.Delete(vocab);

        FluentActions.Invoking(() => TextTokenizer.FromGpt2Bpe(vocab, merges))
            .Should().Throw<FileNotFoundException>().Where(e => e.FileName == vocab && e.Message.Contains(vocab));
    }

    public static TheoryData<string, byte[]> NotSentencePieceFiles() => new()
    {
        { "empty", [] },
        { "random", RandomBytes(seed: 7, length: 4096) },
        { "json", Encoding.UTF8.GetBytes("{\"model_type\": \"llama\", \"vocab_size\": 512}") },
        { "llama2c", File.ReadAllBytes(Path.Combine(TokenizerTestData.Stories260KFolder, "tok512.bin")) },
    };

    [Theory]
    [MemberData(nameof(NotSentencePieceFiles))]
    public void File_that_is_not_a_sentencepiece_model_is_invalid_data_naming_the_file(string name, byte[] content)
    {
        string path = _folder.File(name + ".model");
        File.WriteAllBytes(path, content);

        FluentActions.Invoking(() => TextTokenizer.FromSentencePiece(path))
            .Should().Throw<InvalidDataException>().Where(e => e.Message.Contains(path) && e.Message.Contains("SentencePiece"));
    }

    [Fact]
    public void Stream_that_is_not_a_sentencepiece_model_is_invalid_data()
    {
        using var stream = new MemoryStream(RandomBytes(seed: 11, length: 1000));

        FluentActions.Invoking(() => TextTokenizer.FromSentencePiece(stream))
            .Should().Throw<InvalidDataException>().WithMessage("*stream*SentencePiece*");
    }

    [Fact]
    public void Vocab_json_that_is_not_json_is_invalid_data_naming_the_file()
    {
        (string vocab, string merges) = TokenizerTestData.WriteTinyGpt2(_folder.Path);
        File.WriteAllText(vocab, "not json");

        FluentActions.Invoking(() => TextTokenizer.FromGpt2Bpe(vocab, merges))
            .Should().Throw<InvalidDataException>().WithMessage($"*{vocab}*vocab.json*");
    }

    [Fact]
    public void Vocab_without_the_byte_alphabet_is_rejected_instead_of_dropping_text()
    {
        (string vocab, string merges) = TokenizerTestData.WriteTinyGpt2(_folder.Path);
        File.WriteAllText(vocab, "{\"h\": 0, \"e\": 1, \"he\": 2}");
        File.WriteAllText(merges, "h e\n");

        FluentActions.Invoking(() => TextTokenizer.FromGpt2Bpe(vocab, merges))
            .Should().Throw<InvalidDataException>().WithMessage($"*{vocab}*byte*");
    }

    [Theory]
    [InlineData("h e\nq z\n")]
    [InlineData("h e l\n")]
    public void Merges_that_do_not_fit_the_vocabulary_are_invalid_data_naming_the_file(string mergesText)
    {
        (string vocab, string merges) = TokenizerTestData.WriteTinyGpt2(_folder.Path);
        File.WriteAllText(merges, mergesText);

        FluentActions.Invoking(() => TextTokenizer.FromGpt2Bpe(vocab, merges))
            .Should().Throw<InvalidDataException>().WithMessage($"*{merges}*");
    }

    [Fact]
    public void EnsureFits_passes_when_the_model_vocabulary_is_large_enough()
    {
        TextTokenizer tokenizer = TokenizerTestData.LoadTok512();

        FluentActions.Invoking(() => tokenizer.EnsureFits(512)).Should().NotThrow();
        FluentActions.Invoking(() => tokenizer.EnsureFits(32000)).Should().NotThrow();
    }

    [Fact]
    public void EnsureFits_names_both_sizes_and_the_remedy_when_the_tokenizer_is_too_large()
    {
        TextTokenizer tokenizer = TokenizerTestData.LoadTok512();

        FluentActions.Invoking(() => tokenizer.EnsureFits(256))
            .Should().Throw<InvalidOperationException>()
            .Which.Message.Should().Contain("512").And.Contain("256").And.Contain("Load the tokenizer that was saved with this model");
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
