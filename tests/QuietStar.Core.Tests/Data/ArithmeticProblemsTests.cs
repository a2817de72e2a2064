using System.Text.Json;
using FluentAssertions;
using QuietStar.Core.Data;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using Xunit;

namespace QuietStar.Core.Tests.Data;

/// <summary>The arithmetic corpus generator: seeded, exact, and never emitting a pair reserved for outside evaluation.</summary>
public sealed class ArithmeticProblemsTests
{
    [Fact]
    public void The_working_is_the_column_sums_from_the_units_up_as_two_digits_each()
    {
        var problem = new ArithmeticProblem(347, 586, 3);

        problem.ToText(ArithmeticStyle.Terse).Should().Be("Q: What is 347 + 586?\nA: 933\n");
        problem.ToText(ArithmeticStyle.Worked).Should().Be("Q: What is 347 + 586?\nA: (13,13,09)933\n");
        new ArithmeticProblem(999, 999, 3).ToText(ArithmeticStyle.Worked).Should().Be("Q: What is 999 + 999?\nA: (18,19,19)1998\n");
        new ArithmeticProblem(100, 200, 3).Working.Should().Be("00,00,03");
        new ArithmeticProblem(7, 5, 1).Working.Should().Be("12");
    }

    [Fact]
    public void Json_lines_use_the_gsm8k_layout_with_the_working_before_the_final_answer()
    {
        var problem = new ArithmeticProblem(347, 586, 3);

        var terse = JsonDocument.Parse(problem.ToJsonLine(ArithmeticStyle.Terse)).RootElement;
        terse.GetProperty("question").GetString().Should().Be("What is 347 + 586?");
        terse.GetProperty("answer").GetString().Should().Be("#### 933");
        JsonDocument.Parse(problem.ToJsonLine(ArithmeticStyle.Worked)).RootElement.GetProperty("answer").GetString().Should().Be("(13,13,09)\n#### 933");
        problem.ToJsonLine(ArithmeticStyle.Terse).Should().Contain("347 + 586", "the plus sign is written as itself");
    }

    [Fact]
    public void Every_problem_sums_correctly_and_has_n_digit_operands()
    {
        foreach (int digits in new[] { 1, 2, 3, 5, 9, 17 })
        {
            foreach (var p in ArithmeticProblems.Generate(digits, 500, seed: digits))
            {
                p.A.ToString().Length.Should().Be(digits);
                p.B.ToString().Length.Should().Be(digits);
                long.Parse(p.Answer).Should().Be(p.A + p.B);
                p.Working.Length.Should().Be(ArithmeticProblems.WorkingLength(digits));
                (int.Parse(p.Working.Split(',')[^1]) / 10 * Math.Pow(10, digits))
                    .Should().Be(p.A + p.B >= Math.Pow(10, digits) ? Math.Pow(10, digits) : 0, "the last column's carry is the sum's extra digit");
            }
        }
    }

    [Fact]
    public void A_large_sample_of_every_size_and_split_never_contains_a_reserved_pair()
    {
        for (int digits = 1; digits <= 8; digits++)
        {
            foreach (var split in new[] { ArithmeticSplit.Train, ArithmeticSplit.Validation })
            {
                var problems = ArithmeticProblems.Generate(digits, 30_000, seed: 1000 + digits, split);
                long power = (long)Math.Pow(10, digits);
                // Independent of the library's residue helper: BigInteger arithmetic on the definition.
                var reserved = problems.Where(p => ((System.Numerics.BigInteger)p.A * power + p.B) % 7 == 3).ToArray();
                reserved.Should().BeEmpty($"no {digits}-digit {split} pair may have (A·10^N + B) mod 7 = 3");
            }
        }
    }

    [Fact]
    public void Training_and_validation_problems_are_disjoint_classes()
    {
        var train = ArithmeticProblems.Generate(2, 20_000, seed: 5).Select(p => (p.A, p.B)).ToHashSet();
        var validation = ArithmeticProblems.Generate(2, 2_000, seed: 5, ArithmeticSplit.Validation).Select(p => (p.A, p.B)).ToHashSet();

        train.Overlaps(validation).Should().BeFalse();
        validation.Should().OnlyContain(p => (p.A * 100 + p.B) % 7 == ArithmeticProblems.ValidationResidue);
        train.Count.Should().BeGreaterThan(5_000, "2-digit training pairs cover most of the allowed space");
    }

    [Fact]
    public void The_same_seed_gives_the_same_corpus_and_another_seed_another()
    {
        string a = ArithmeticProblems.Format(ArithmeticProblems.Generate(3, 200, 7), ArithmeticStyle.Mixed, jsonLines: false, seed: 7);
        string b = ArithmeticProblems.Format(ArithmeticProblems.Generate(3, 200, 7), ArithmeticStyle.Mixed, jsonLines: false, seed: 7);
        string c = ArithmeticProblems.Format(ArithmeticProblems.Generate(3, 200, 8), ArithmeticStyle.Mixed, jsonLines: false, seed: 8);

        a.Should().Be(b);
        a.Should().NotBe(c);
    }

    [Fact]
    public void Mixed_style_writes_about_half_the_problems_worked_and_separates_documents_by_blank_lines()
    {
        var problems = ArithmeticProblems.Generate(3, 1_000, 3);
        string text = ArithmeticProblems.Format(problems, ArithmeticStyle.Mixed, jsonLines: false, seed: 3);
        var documents = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        documents.Should().HaveCount(1_000);
        documents.Count(d => d.Contains("A: (", StringComparison.Ordinal)).Should().BeInRange(430, 570);
    }

    [Fact]
    public void With_a_character_level_vocabulary_the_working_has_the_same_token_length_for_every_problem()
    {
        var tokenizer = TextTokenizer.FromSentencePiece(Stories260K.TokenizerPath);
        var lengths = ArithmeticProblems.Generate(3, 300, 11)
            .Select(p => tokenizer.Encode($"({p.Working})").Length)
            .Distinct().ToArray();

        lengths.Should().ContainSingle().Which.Should().Be(ArithmeticProblems.WorkingLength(3) + 3, "a dummy-prefix space, '(', the 8 characters, ')'");
    }
}
