using System.Globalization;
using System.Text;
using System.Text.Json;

namespace QuietStar.Core.Data;

/// <summary>How an arithmetic problem's answer is written.</summary>
public enum ArithmeticStyle
{
    /// <summary>The answer alone: <c>"Q: What is 347 + 586?\nA: 933\n"</c>. The text Quiet-STaR trains on.</summary>
    Terse,

    /// <summary>The column working, then the answer: <c>"Q: What is 347 + 586?\nA: (13,13,09)933\n"</c>.</summary>
    Worked,

    /// <summary>Each problem terse or worked with probability ½ (seeded).</summary>
    Mixed,
}

/// <summary>Which problems a generator may draw; the two parts never share a problem.</summary>
public enum ArithmeticSplit
{
    /// <summary>Problems for training: every pair outside the validation and reserved classes.</summary>
    Train,

    /// <summary>Held-out problems for this project's own validation (a residue class no training set draws from).</summary>
    Validation,
}

/// <summary>
/// One N-digit addition problem A + B. The worked form writes the column sums from the units up, each as two digits
/// (the carry and the digit) and separated by commas, between parentheses: for 347 + 586 the columns are 7+6 = 13,
/// 4+8+1 = 13, 3+5+1 = 09, so <c>(13,13,09)933</c>. Every digit is one token in a character-level vocabulary, so the
/// working is exactly <see cref="WorkingTokens"/> = 3N − 1 tokens between the parentheses for every N-digit problem.
/// </summary>
public sealed record ArithmeticProblem
{
    private static readonly JsonSerializerOptions JsonLineOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A problem A + B of <paramref name="digits"/>-digit operands.</summary>
    /// <param name="a">The first operand: N digits, no leading zero.</param>
    /// <param name="b">The second operand: N digits, no leading zero.</param>
    /// <param name="digits">N, from 1 to <see cref="ArithmeticProblems.MaxDigits"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">N is out of range or an operand does not have N digits.</exception>
    /// <exception cref="ArgumentException">The pair is reserved for evaluation outside this repository ((A·10^N + B) mod 7 = 3).</exception>
    public ArithmeticProblem(long a, long b, int digits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(digits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digits, ArithmeticProblems.MaxDigits);
        long low = ArithmeticProblems.Pow10(digits - 1), high = ArithmeticProblems.Pow10(digits);
        if (a < low || a >= high)
        {
            throw new ArgumentOutOfRangeException(nameof(a), a, $"The first operand must have {digits} digits.");
        }

        if (b < low || b >= high)
        {
            throw new ArgumentOutOfRangeException(nameof(b), b, $"The second operand must have {digits} digits.");
        }

        if (ArithmeticProblems.IsReserved(a, b, digits))
        {
            throw new ArgumentException($"{a} + {b} is reserved for evaluation outside this repository ((A·10^N + B) mod 7 = 3) and is never written.", nameof(a));
        }

        A = a;
        B = b;
        Digits = digits;
    }

    /// <summary>The first operand (N digits, no leading zero).</summary>
    public long A { get; }

    /// <summary>The second operand (N digits, no leading zero).</summary>
    public long B { get; }

    /// <summary>N, the digits of each operand.</summary>
    public int Digits { get; }

    /// <summary>The sum.</summary>
    public long Sum => A + B;

    /// <summary>The question, as GSM8K's <c>question</c> field: <c>"What is 347 + 586?"</c>.</summary>
    public string Question => string.Create(CultureInfo.InvariantCulture, $"What is {A} + {B}?");

    /// <summary>The answer as text: <c>"933"</c>.</summary>
    public string Answer => Sum.ToString(CultureInfo.InvariantCulture);

    /// <summary>Characters of the working between the parentheses: N two-digit column sums and N − 1 commas.</summary>
    public int WorkingTokens => ArithmeticProblems.WorkingLength(Digits);

    /// <summary>The column working without the parentheses: <c>"13,13,09"</c>.</summary>
    public string Working
    {
        get
        {
            var columns = new string[Digits];
            long a = A, b = B;
            int carry = 0;
            for (int i = 0; i < Digits; i++)
            {
                int column = (int)(a % 10) + (int)(b % 10) + carry;
                columns[i] = column.ToString("00", CultureInfo.InvariantCulture);
                carry = column / 10;
                a /= 10;
                b /= 10;
            }

            return string.Join(',', columns);
        }
    }

    /// <summary>The problem as training text in <paramref name="style"/> (<see cref="ArithmeticStyle.Mixed"/> is chosen per problem by the generator).</summary>
    /// <exception cref="ArgumentException"><paramref name="style"/> is <see cref="ArithmeticStyle.Mixed"/>.</exception>
    public string ToText(ArithmeticStyle style) => style switch
    {
        ArithmeticStyle.Terse => $"Q: {Question}\nA: {Answer}\n",
        ArithmeticStyle.Worked => $"Q: {Question}\nA: ({Working}){Answer}\n",
        _ => throw new ArgumentException("A single problem is written terse or worked; Mixed is a choice the generator makes per problem.", nameof(style)),
    };

    /// <summary>The problem as one GSM8K-layout JSON line: <c>{"question": …, "answer": "#### 933"}</c> (the working before <c>####</c> when worked).</summary>
    /// <exception cref="ArgumentException"><paramref name="style"/> is <see cref="ArithmeticStyle.Mixed"/>.</exception>
    public string ToJsonLine(ArithmeticStyle style)
    {
        string answer = style switch
        {
            ArithmeticStyle.Terse => $"#### {Answer}",
            ArithmeticStyle.Worked => $"({Working})\n#### {Answer}",
            _ => throw new ArgumentException("A single problem is written terse or worked; Mixed is a choice the generator makes per problem.", nameof(style)),
        };
        return JsonSerializer.Serialize(new Dictionary<string, string> { ["question"] = Question, ["answer"] = answer }, JsonLineOptions);
    }
}

/// <summary>
/// Seeded generator of N-digit addition problems, the synthetic task on which a thought's content must pay: a small
/// model that can add when it writes the column working out cannot when the text skips it.
/// </summary>
/// <remarks>
/// The generator never emits a pair with (A·10^N + B) mod 7 = 3: those pairs are reserved for evaluation outside this
/// repository. Pairs with residue 5 form the <see cref="ArithmeticSplit.Validation"/> part, which no training set
/// draws from. Operands are uniform over the N-digit numbers (no leading zero) within their part; problems may repeat
/// when many are drawn.
/// </remarks>
public static class ArithmeticProblems
{
    /// <summary>The residue of (A·10^N + B) mod 7 that is never generated (reserved for outside evaluation).</summary>
    public const int ReservedResidue = 3;

    /// <summary>The residue of the held-out validation problems.</summary>
    public const int ValidationResidue = 5;

    /// <summary>The most digits per operand (the sum must fit a long with room to spare).</summary>
    public const int MaxDigits = 17;

    private const ulong ProblemStream = 0xADD5_0001;
    private const ulong StyleStream = 0xADD5_0002;

    /// <summary>Characters of an N-digit problem's working between the parentheses: 3N − 1.</summary>
    public static int WorkingLength(int digits) => 3 * digits - 1;

    /// <summary>(A·10^N + B) mod 7, the class that decides where a pair may appear.</summary>
    public static int Residue(long a, long b, int digits)
    {
        // A·10^N mod 7 without overflow: reduce each factor first.
        long power = 1;
        for (int i = 0; i < digits; i++)
        {
            power = power * 10 % 7;
        }

        return (int)(((a % 7) * power % 7 + b % 7) % 7);
    }

    /// <summary>Whether (A, B) is reserved for evaluation outside this repository, and so is never generated.</summary>
    public static bool IsReserved(long a, long b, int digits) => Residue(a, b, digits) == ReservedResidue;

    /// <summary>Draws <paramref name="count"/> problems of <paramref name="digits"/>-digit operands from <paramref name="split"/>.</summary>
    /// <param name="digits">N, from 1 to <see cref="MaxDigits"/>.</param>
    /// <param name="count">Problems to draw (≥ 0).</param>
    /// <param name="seed">The seed: the same arguments give the same problems.</param>
    /// <param name="split">Training or held-out validation problems.</param>
    /// <exception cref="ArgumentOutOfRangeException">Digits or count out of range.</exception>
    public static IReadOnlyList<ArithmeticProblem> Generate(int digits, int count, long seed, ArithmeticSplit split = ArithmeticSplit.Train)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(digits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digits, MaxDigits);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!Enum.IsDefined(split))
        {
            throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown split.");
        }

        long low = Pow10(digits - 1), span = Pow10(digits) - low;
        var random = new SplitMix64(SplitMix64.Derive(seed, ProblemStream + (ulong)split));
        var problems = new ArithmeticProblem[count];
        for (int i = 0; i < count;)
        {
            long a = low + Uniform(random, span), b = low + Uniform(random, span);
            int residue = Residue(a, b, digits);
            bool allowed = residue != ReservedResidue
                && (split == ArithmeticSplit.Validation ? residue == ValidationResidue : residue != ValidationResidue);
            if (allowed)
            {
                problems[i++] = new ArithmeticProblem(a, b, digits);
            }
        }

        return problems;
    }

    /// <summary>
    /// The problems as text, one per line group separated by blank lines (the document boundary
    /// <see cref="TextCorpus"/> reads), or as JSON Lines; <see cref="ArithmeticStyle.Mixed"/> picks each problem's style
    /// with a seeded coin.
    /// </summary>
    /// <param name="problems">The problems.</param>
    /// <param name="style">Terse, worked, or mixed.</param>
    /// <param name="jsonLines">JSON Lines in GSM8K's layout instead of plain text.</param>
    /// <param name="seed">Seed of the mixed style's coin.</param>
    public static string Format(IEnumerable<ArithmeticProblem> problems, ArithmeticStyle style, bool jsonLines, long seed)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var coin = new SplitMix64(SplitMix64.Derive(seed, StyleStream));
        var text = new StringBuilder();
        foreach (var problem in problems)
        {
            var chosen = style == ArithmeticStyle.Mixed ? (coin.NextInt(2) == 0 ? ArithmeticStyle.Terse : ArithmeticStyle.Worked) : style;
            text.Append(jsonLines ? problem.ToJsonLine(chosen) + "\n" : problem.ToText(chosen) + "\n");
        }

        return text.ToString();
    }

    internal static long Pow10(int n)
    {
        long p = 1;
        for (int i = 0; i < n; i++)
        {
            p *= 10;
        }

        return p;
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) without modulo bias.</summary>
    private static long Uniform(SplitMix64 random, long bound)
    {
        ulong b = (ulong)bound, limit = ulong.MaxValue - (ulong.MaxValue % b), value;
        do
        {
            value = random.NextUInt64();
        }
        while (value >= limit);

        return (long)(value % b);
    }
}
