using FluentAssertions;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using TorchSharp;
using Xunit;

namespace QuietStar.Core.Tests.Data;

public sealed class SequenceSamplerTests
{
    private const int Length = 16;
    private readonly TextTokenizer tokenizer = TinyTraining.Tokenizer();

    [Fact]
    public void The_same_seed_draws_the_same_sequences_and_another_seed_others()
    {
        var corpus = TinyTraining.Corpus(tokenizer);

        var first = Draw(new SequenceSampler(corpus, Length, seed: 5), batches: 20);
        var again = Draw(new SequenceSampler(corpus, Length, seed: 5), batches: 20);
        var other = Draw(new SequenceSampler(corpus, Length, seed: 6), batches: 20);

        first.Should().Equal(again);
        first.Should().NotEqual(other);
    }

    [Fact]
    public void Long_documents_are_cropped_windows_and_short_ones_are_padded_and_masked()
    {
        var corpus = TinyTraining.Corpus(tokenizer, documents: 10);
        var documents = Enumerable.Range(0, corpus.DocumentCount).Select(i => corpus.GetDocument(i).ToArray()).ToList();
        var sampler = new SequenceSampler(corpus, Length, seed: 1);
        int padded = 0;

        for (int b = 0; b < 10; b++)
        {
            using var scope = torch.NewDisposeScope();
            var batch = sampler.NextBatch(2);
            batch.InputIds.shape.Should().Equal(2, Length);
            long[] ids = batch.InputIds.data<long>().ToArray();
            bool[] real = batch.IsReal.data<bool>().ToArray();
            batch.RealTokens.Should().Be(real.Count(r => r));
            for (int row = 0; row < 2; row++)
            {
                var rowIds = ids.Skip(row * Length).Take(Length).ToArray();
                int n = real.Skip(row * Length).Take(Length).TakeWhile(r => r).Count();
                real.Skip((row * Length) + n).Take(Length - n).Should().NotContain(true, "padding comes only after the text");
                rowIds.Skip(n).Where(id => id != corpus.PadTokenId).Should().BeEmpty("padding uses the pad id");
                var window = rowIds.Take(n).Select(id => (int)id).ToArray();
                documents.Should().Contain(d => Contains(d, window) && (n == Length || d.Length == n),
                    "a row is a contiguous crop of one document, or the whole document when it is shorter");
                padded += n < Length ? 1 : 0;
            }
        }

        padded.Should().BePositive("the corpus has one-word documents");
    }

    [Fact]
    public void A_restored_state_continues_the_stream_exactly_across_epochs()
    {
        var corpus = TinyTraining.Corpus(tokenizer, documents: 7);
        var reference = new SequenceSampler(corpus, Length, seed: 9);
        Draw(reference, batches: 5);
        var state = reference.State;

        var resumed = new SequenceSampler(corpus, Length, seed: 9);
        resumed.Restore(state);

        state.Epoch.Should().Be(1, "10 sequences from 7 documents cross an epoch");
        Draw(resumed, batches: 8).Should().Equal(Draw(reference, batches: 8));
    }

    [Fact]
    public void A_state_from_another_corpus_is_refused()
    {
        var state = new SequenceSampler(TinyTraining.Corpus(tokenizer, documents: 7), Length, seed: 9).State;
        var other = new SequenceSampler(TinyTraining.Corpus(tokenizer, documents: 8), Length, seed: 9);

        var act = () => other.Restore(state);

        act.Should().Throw<ArgumentException>().WithMessage("*same files*");
    }

    [Fact]
    public void A_corpus_shorter_than_one_sequence_is_refused()
    {
        var tiny = TextCorpus.FromReader(new StringReader("Hi."), "tiny.txt", tokenizer);

        var act = () => new SequenceSampler(tiny, 64, seed: 1);

        act.Should().Throw<ArgumentException>().WithMessage($"*tiny.txt*holds {tiny.TokenCount} token(s)*fewer than one sequence of 64*");
    }

    private static List<string> Draw(SequenceSampler sampler, int batches)
    {
        var rows = new List<string>();
        for (int b = 0; b < batches; b++)
        {
            using var scope = torch.NewDisposeScope();
            var batch = sampler.NextBatch(2);
            long[] ids = batch.InputIds.data<long>().ToArray();
            bool[] real = batch.IsReal.data<bool>().ToArray();
            rows.Add(string.Join(',', ids.Zip(real, (id, r) => r ? id.ToString() : "_")));
        }

        return rows;
    }

    private static bool Contains(int[] document, int[] window) =>
        document.Length >= window.Length && Enumerable.Range(0, document.Length - window.Length + 1).Any(start => document.AsSpan(start, window.Length).SequenceEqual(window));
}
