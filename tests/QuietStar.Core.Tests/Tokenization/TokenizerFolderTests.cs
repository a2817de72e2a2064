using FluentAssertions;
using QuietStar.Core.Tokenization;
using Xunit;

namespace QuietStar.Core.Tests.Tokenization;

public sealed class TokenizerFolderTests : IDisposable
{
    private const string Sample = "Lily<|startthought|> she is happy<|endthought|> smiled. é😀";

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void SentencePiece_tokenizer_saved_and_loaded_from_folder_is_identical()
    {
        TextTokenizer original = TokenizerTestData.LoadTok512().WithExtraSpecialTokens("<|startthought|>", "<|endthought|>");

        original.SaveTo(_folder.Path);
        TextTokenizer restored = TextTokenizer.FromFolder(_folder.Path);

        File.ReadAllBytes(_folder.File("tokenizer.model")).Should().Equal(File.ReadAllBytes(TokenizerTestData.Tok512ModelPath));
        AssertSameTokenizer(restored, original);
    }

    [Fact]
    public void Gpt2_tokenizer_saved_and_loaded_from_folder_is_identical()
    {
        using var source = new TempFolder();
        (string vocab, string merges) = TokenizerTestData.WriteTinyGpt2(source.Path);
        TextTokenizer original = TextTokenizer.FromGpt2Bpe(vocab, merges).WithExtraSpecialTokens("<|startthought|>", "<|endthought|>");

        original.SaveTo(_folder.Path);
        TextTokenizer restored = TextTokenizer.FromFolder(_folder.Path);

        File.ReadAllBytes(_folder.File("vocab.json")).Should().Equal(File.ReadAllBytes(vocab));
        File.ReadAllBytes(_folder.File("merges.txt")).Should().Equal(File.ReadAllBytes(merges));
        AssertSameTokenizer(restored, original);
    }

    [Fact]
    public void SaveTo_records_the_extra_tokens_with_their_ids()
    {
        TokenizerTestData.LoadTok512().WithExtraSpecialTokens("<|startthought|>").SaveTo(_folder.Path);

        string json = File.ReadAllText(_folder.File("quietstar_special_tokens.json"));

        json.Should().Contain("\"base_vocabulary_size\": 512").And.Contain("<|startthought|>").And.Contain("\"id\": 512");
    }

    [Fact]
    public void Folder_without_special_tokens_file_loads_the_plain_tokenizer()
    {
        File.Copy(TokenizerTestData.Tok512ModelPath, _folder.File("tokenizer.model"));

        TextTokenizer tokenizer = TextTokenizer.FromFolder(_folder.Path);

        tokenizer.VocabularySize.Should().Be(512);
        tokenizer.Encode("Once upon a time", addBos: true).Should().Equal(1, 403, 407, 261, 378);
    }

    [Fact]
    public void Folder_without_tokenizer_files_lists_what_was_looked_for()
    {
        FluentActions.Invoking(() => TextTokenizer.FromFolder(_folder.Path))
            .Should().Throw<FileNotFoundException>()
            .Which.Message.Should().Contain(_folder.Path).And.Contain("tokenizer.model")
            .And.Contain("vocab.json").And.Contain("merges.txt");
    }

    [Fact]
    public void Folder_with_vocab_json_but_no_merges_names_the_missing_file()
    {
        TokenizerTestData.WriteTinyGpt2(_folder.Path);
        File.Delete(_folder.File("merges.txt"));

        FluentActions.Invoking(() => TextTokenizer.FromFolder(_folder.Path))
            .Should().Throw<FileNotFoundException>().Which.FileName.Should().Be(_folder.File("merges.txt"));
    }

    [Fact]
    public void Folder_with_both_kinds_of_tokenizer_is_ambiguous()
    {
        TokenizerTestData.WriteTinyGpt2(_folder.Path);
        File.Copy(TokenizerTestData.Tok512ModelPath, _folder.File("tokenizer.model"));

        FluentActions.Invoking(() => TextTokenizer.FromFolder(_folder.Path))
            .Should().Throw<InvalidDataException>().WithMessage("*tokenizer.model*vocab.json*");
    }

    [Fact]
    public void Missing_folder_is_reported_by_path()
    {
        string missing = _folder.File("nope");

        FluentActions.Invoking(() => TextTokenizer.FromFolder(missing))
            .Should().Throw<DirectoryNotFoundException>().WithMessage($"*{missing}*");
    }

    [Fact]
    public void Special_tokens_file_written_for_another_vocabulary_is_rejected()
    {
        TokenizerTestData.LoadTok512().WithExtraSpecialTokens("<|startthought|>").SaveTo(_folder.Path);
        string path = _folder.File("quietstar_special_tokens.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("512", "32000"));

        FluentActions.Invoking(() => TextTokenizer.FromFolder(_folder.Path))
            .Should().Throw<InvalidDataException>().WithMessage("*32000*512*");
    }

    [Fact]
    public void Malformed_special_tokens_file_is_rejected_by_name()
    {
        File.Copy(TokenizerTestData.Tok512ModelPath, _folder.File("tokenizer.model"));
        File.WriteAllText(_folder.File("quietstar_special_tokens.json"), "{ not json");

        FluentActions.Invoking(() => TextTokenizer.FromFolder(_folder.Path))
            .Should().Throw<InvalidDataException>().WithMessage("*quietstar_special_tokens.json*");
    }

    private static void AssertSameTokenizer(TextTokenizer restored, TextTokenizer original)
    {
        restored.BaseVocabularySize.Should().Be(original.BaseVocabularySize);
        restored.VocabularySize.Should().Be(original.VocabularySize);
        restored.BosId.Should().Be(original.BosId);
        restored.EosId.Should().Be(original.EosId);
        restored.ExtraSpecialTokens.Should().Equal(original.ExtraSpecialTokens);
        int[] ids = original.Encode(Sample, addBos: original.BosId is not null);
        restored.Encode(Sample, addBos: original.BosId is not null).Should().Equal(ids);
        restored.Decode(ids).Should().Be(original.Decode(ids)).And.Contain("<|startthought|>");
    }
}
