using FluentAssertions;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Checkpoints;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using Xunit;

namespace QuietStar.Core.Tests.Data;

public sealed class TextCorpusTests
{
    private readonly TextTokenizer tokenizer = TinyTraining.Tokenizer();

    [Fact]
    public void Text_files_split_at_blank_lines_and_each_document_is_bos_text_eos()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("a.txt"), "Once upon a time\nthere was a cat.\n\n\nThe end.\n");
        File.WriteAllText(folder.File("b.txt"), "Another story.");

        var corpus = TextCorpus.Load([folder.File("a.txt"), folder.File("b.txt")], tokenizer);

        corpus.DocumentCount.Should().Be(3);
        corpus.GetDocument(0).ToArray().Should().Equal([.. tokenizer.Encode("Once upon a time\nthere was a cat.", addBos: true), 2]);
        corpus.GetDocument(1).ToArray().Should().Equal([.. tokenizer.Encode("The end.", addBos: true), 2]);
        corpus.GetDocument(2).ToArray().Should().Equal([.. tokenizer.Encode("Another story.", addBos: true), 2]);
        corpus.TokenCount.Should().Be(Enumerable.Range(0, 3).Sum(i => corpus.GetDocument(i).Length));
        corpus.PadTokenId.Should().Be(2, "the reference pads with EOS");
    }

    [Theory]
    [InlineData(TextDocumentBoundary.Line, 3)]
    [InlineData(TextDocumentBoundary.File, 1)]
    public void Other_document_boundaries(TextDocumentBoundary boundary, int documents)
    {
        var corpus = TextCorpus.FromReader(new StringReader("one\ntwo\n\nthree\n"), "x.txt", tokenizer, new TextCorpusOptions { DocumentBoundary = boundary });

        corpus.DocumentCount.Should().Be(documents);
    }

    [Fact]
    public void Jsonl_reads_a_field_or_a_template_with_nested_paths()
    {
        const string jsonl = """
            {"question": {"stem": "What is 2+2?"}, "answer": "4", "text": "plain"}

            {"question": {"stem": "And 3+3?"}, "answer": 6, "text": "other"}
            """;
        var byField = TextCorpus.FromReader(new StringReader(jsonl), "qa.jsonl", tokenizer);
        var byTemplate = TextCorpus.FromReader(new StringReader(jsonl), "qa.jsonl", tokenizer,
            new TextCorpusOptions { JsonlTemplate = "Q: {question.stem}\nA: {answer} {{ok}}" });

        byField.DocumentCount.Should().Be(2);
        Decode(byField, 0).Should().Be("plain");
        Decode(byTemplate, 0).Should().Be("Q: What is 2+2?\nA: 4 {ok}");
        Decode(byTemplate, 1).Should().Be("Q: And 3+3?\nA: 6 {ok}");
    }

    [Fact]
    public void A_malformed_jsonl_line_stops_loading_with_file_and_line_number()
    {
        using var folder = new TempFolder();
        string path = folder.File("data.jsonl");
        File.WriteAllText(path, "{\"text\": \"fine\"}\n\n{\"text\": broken\n{\"text\": \"fine again\"}\n");

        var act = () => TextCorpus.Load(path, tokenizer);

        var error = act.Should().Throw<CorpusFormatException>().Which;
        error.FilePath.Should().Be(path);
        error.LineNumber.Should().Be(3, "blank lines count");
        error.Message.Should().Contain($"'{path}' line 3").And.Contain("not valid JSON");
    }

    [Fact]
    public void Malformed_lines_and_records_without_the_field_can_be_skipped_and_counted()
    {
        const string jsonl = "{\"text\": \"a\"}\nnot json\n[1, 2]\n{\"other\": \"b\"}\n{\"text\": \"c\"}\n";
        var strict = () => TextCorpus.FromReader(new StringReader(jsonl.Replace("not json\n[1, 2]\n", "")), "d.jsonl", tokenizer);

        var corpus = TextCorpus.FromReader(new StringReader(jsonl), "d.jsonl", tokenizer, new TextCorpusOptions { SkipMalformed = true });

        corpus.DocumentCount.Should().Be(2);
        corpus.SkippedMalformed.Should().Be(3);
        strict.Should().Throw<CorpusFormatException>().Which.Message.Should().Contain("line 2").And.Contain("no field 'text'");
    }

    [Fact]
    public void Missing_and_empty_files_are_reported_by_name()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("empty.txt"), "\n  \n");

        var missing = () => TextCorpus.Load(folder.File("nope.txt"), tokenizer);
        var empty = () => TextCorpus.Load(folder.File("empty.txt"), tokenizer);
        var allBad = () => TextCorpus.FromReader(new StringReader("oops\n"), "bad.jsonl", tokenizer, new TextCorpusOptions { SkipMalformed = true });

        missing.Should().Throw<FileNotFoundException>().WithMessage("*nope.txt*does not exist*");
        empty.Should().Throw<InvalidDataException>().WithMessage("*empty.txt*is empty*");
        allBad.Should().Throw<InvalidDataException>().WithMessage("*bad.jsonl*malformed*");
    }

    [Fact]
    public void A_file_that_is_not_text_is_refused_naming_the_file_and_what_to_do()
    {
        using var folder = new TempFolder();
        var random = new byte[64 * 1024];
        new Random(5).NextBytes(random);
        File.WriteAllBytes(folder.File("weights.txt"), random);
        File.WriteAllBytes(folder.File("latin1.txt"), [.. "Caf"u8.ToArray(), 0xE9, .. " au lait\n"u8.ToArray()]);   // Latin-1 'é': invalid UTF-8
        File.WriteAllText(folder.File("fine.txt"), "Caf\u00e9 au lait.\tTabs and\r\nnew lines are text.\n");

        var binary = () => TextCorpus.Load(folder.File("weights.txt"), tokenizer);
        var latin1 = () => TextCorpus.Load(folder.File("latin1.txt"), tokenizer);

        binary.Should().Throw<InvalidDataException>().WithMessage($"*'{folder.File("weights.txt")}' is not text*UTF-8*");
        latin1.Should().Throw<InvalidDataException>().WithMessage($"*'{folder.File("latin1.txt")}' is not text*invalid UTF-8*byte 3*UTF-8*");
        TextCorpus.Load(folder.File("fine.txt"), tokenizer).DocumentCount.Should().Be(1);
    }

    [Theory]
    [InlineData("{question", "never closed")]
    [InlineData("a } b {x}", "no opening")]
    [InlineData("no fields", "names no field")]
    public void A_malformed_template_names_the_option(string template, string problem)
    {
        var act = () => new TextCorpusOptions { JsonlTemplate = template }.Validate();

        act.Should().Throw<ArgumentException>().Where(e => e.ParamName == "JsonlTemplate" && e.Message.Contains(problem));
    }

    [Fact]
    public void The_validation_split_is_by_document_and_deterministic_for_a_seed()
    {
        var corpus = TinyTraining.Corpus(tokenizer, documents: 40);

        var first = corpus.Split(0.25, seed: 3);
        var again = corpus.Split(0.25, seed: 3);
        var other = corpus.Split(0.25, seed: 4);

        first.Validation.DocumentCount.Should().Be(10);
        first.Train.DocumentCount.Should().Be(30);
        Documents(first.Validation).Should().Equal(Documents(again.Validation));
        Documents(first.Validation).Should().NotEqual(Documents(other.Validation));
        var all = Documents(corpus);
        Documents(first.Train).Concat(Documents(first.Validation)).Should().BeEquivalentTo(all, "every document lands in exactly one part");
        corpus.Split(0, seed: 3).Validation.DocumentCount.Should().Be(0);
    }

    [Fact]
    public void A_split_that_leaves_no_training_document_is_refused()
    {
        var one = TextCorpus.FromReader(new StringReader("just one"), "one.txt", tokenizer);

        var act = () => one.Split(0.5, seed: 1);

        act.Should().Throw<ArgumentException>().WithMessage("*leaves no training document*");
    }

    private string Decode(TextCorpus corpus, int document) => tokenizer.Decode(corpus.GetDocument(document).ToArray());

    private static List<string> Documents(TextCorpus corpus) =>
        [.. Enumerable.Range(0, corpus.DocumentCount).Select(i => string.Join(',', corpus.GetDocument(i).ToArray()))];
}
