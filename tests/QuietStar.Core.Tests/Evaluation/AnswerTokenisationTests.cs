using FluentAssertions;
using QuietStar.Core.Evaluation;
using Xunit;

namespace QuietStar.Core.Tests.Evaluation;

/// <summary>How llama2.c's tok512 writes answers, and the allowed sets and answer positions derived from it.</summary>
public sealed class AnswerTokenisationTests
{
    private const int Bos = 1, Space = 410, Newline = 13, Colon = 467, LetterA = 447, SpaceB = 368, LetterC = 457, LetterD = 455, LetterE = 459;

    [Fact]
    public void Tok512_writes_a_number_answer_as_a_lone_space_then_one_token_per_digit()
    {
        var tokenizer = EvaluationFixtures.Tok512;

        tokenizer.Encode("A: 18\n", addBos: true).Should().Equal(Bos, Space, LetterA, Colon, Space, 475, 487, Newline);
        tokenizer.Encode("\nA: -5\n").Should().Equal(Space, Newline, LetterA, Colon, Space, 464, 480, Newline);
    }

    [Fact]
    public void Tok512_merges_the_space_into_B_only()
    {
        var tokenizer = EvaluationFixtures.Tok512;

        tokenizer.Encode("\nA: A\n")[^3..].Should().Equal(Space, LetterA, Newline);
        tokenizer.Encode("\nA: B\n")[^2..].Should().Equal(SpaceB, Newline);
        tokenizer.Encode("\nA: C\n")[^3..].Should().Equal(Space, LetterC, Newline);
    }

    [Fact]
    public void Gsm8k_allows_the_ten_digit_pieces_and_the_newline_byte()
    {
        var allowed = new Gsm8kTask().AllowedAnswerTokenIds(EvaluationFixtures.Tok512);

        // "0".."9" are pieces 477, 475, 479, 472, 484, 480, 490, 491, 487, 483; "\n" is the byte token <0x0A>.
        allowed.Should().BeEquivalentTo([477, 475, 479, 472, 484, 480, 490, 491, 487, 483, Newline]);
        allowed.Should().NotContain(Space);
    }

    [Fact]
    public void CommonsenseQa_allows_every_token_of_the_five_answer_slots()
    {
        var allowed = new CommonsenseQaTask().AllowedAnswerTokenIds(EvaluationFixtures.Tok512);

        allowed.Should().BeEquivalentTo([Space, LetterA, SpaceB, LetterC, LetterD, LetterE, Newline]);
    }

    [Fact]
    public void The_answer_starts_after_the_token_that_completes_the_marker()
    {
        var question = new FormattedQuestion("Q: x\nA:", " 18\n");

        var encoded = EncodedQuestion.Encode(EvaluationFixtures.Tok512, question, maxLength: 256);

        encoded.Ids.Should().Equal(Bos, Space, 473, Colon, Space, 444, Newline, LetterA, Colon, Space, 475, 487, Newline);
        encoded.AnswerStart.Should().Be(9);
        encoded.Ids[encoded.AnswerStart - 1].Should().Be(Colon);
    }

    [Fact]
    public void A_long_question_keeps_its_last_tokens_so_the_answer_survives()
    {
        var question = new FormattedQuestion("Q: " + string.Concat(Enumerable.Repeat("one two three ", 20)) + "\nA:", " 7\n");
        int[] full = EvaluationFixtures.Tok512.Encode(question.Text, addBos: true);

        var encoded = EncodedQuestion.Encode(EvaluationFixtures.Tok512, question, maxLength: 16);

        full.Length.Should().BeGreaterThan(16);
        encoded.Ids.Should().Equal(full[^16..]);
        encoded.Ids[encoded.AnswerStart..].Should().Equal(Space, 491, Newline);
    }

    [Fact]
    public void A_sequence_too_short_for_the_answer_is_refused()
    {
        var question = new FormattedQuestion("Q: x\nA:", " 123456789\n");

        var act = () => EncodedQuestion.Encode(EvaluationFixtures.Tok512, question, maxLength: 8);

        act.Should().Throw<ArgumentException>().WithMessage("*longer sequence length*");
    }
}
