using System.ComponentModel;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Data;

/// <summary>Options of <c>quietstar data arithmetic</c>.</summary>
internal sealed class ArithmeticDataSettings : CommonSettings
{
    /// <summary>Digits per operand.</summary>
    [CommandOption("--digits <N>")]
    [Description("Digits per operand (1–17). Default 3.")]
    public int Digits { get; init; } = 3;

    /// <summary>Problems to write.</summary>
    [CommandOption("--count <K>")]
    [Description("Problems to write. Default 1000.")]
    public int Count { get; init; } = 1000;

    /// <summary>The seed.</summary>
    [CommandOption("--seed <S>")]
    [Description("Seed of the operands (and of the mixed style's coin): the same flags write the same file. Default 42.")]
    public long Seed { get; init; } = 42;

    /// <summary>terse, worked or mixed.</summary>
    [CommandOption("--style <STYLE>")]
    [Description("terse (\"A: 933\"), worked (\"A: (13,13,09)933\", the column sums from the units up) or mixed (each problem either, 50/50). Default terse.")]
    public string Style { get; init; } = "terse";

    /// <summary>text or jsonl.</summary>
    [CommandOption("--format <FORMAT>")]
    [Description("text (\"Q: …\\nA: …\" documents separated by blank lines, what train --data reads) or jsonl (GSM8K's {\"question\", \"answer\": \"#### 933\"}, what eval --data reads). Default text.")]
    public string Format { get; init; } = "text";

    /// <summary>train or validation problems.</summary>
    [CommandOption("--split <SPLIT>")]
    [Description("train, or validation: held-out problems that no train file ever contains. Default train.")]
    public string Split { get; init; } = "train";

    /// <summary>The output file.</summary>
    [CommandOption("--out <FILE>")]
    [Description("The file to write (replaced). Required.")]
    public string? Out { get; init; }

    /// <summary>The parsed style.</summary>
    public ArithmeticStyle ParsedStyle => Enum.Parse<ArithmeticStyle>(Style, ignoreCase: true);

    /// <summary>The parsed split.</summary>
    public ArithmeticSplit ParsedSplit => Enum.Parse<ArithmeticSplit>(Split, ignoreCase: true);

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        string? problem = new (bool Bad, string Problem)[]
        {
            (Digits is < 1 or > ArithmeticProblems.MaxDigits, $"--digits must be from 1 to {ArithmeticProblems.MaxDigits} (got {Digits})."),
            (Count < 1, $"--count must be at least 1 (got {Count})."),
            (!Enum.TryParse<ArithmeticStyle>(Style, ignoreCase: true, out _) || int.TryParse(Style, out _), $"--style must be terse, worked or mixed (got '{Style}')."),
            (Format is not ("text" or "jsonl"), $"--format must be text or jsonl (got '{Format}')."),
            (!Enum.TryParse<ArithmeticSplit>(Split, ignoreCase: true, out _) || int.TryParse(Split, out _), $"--split must be train or validation (got '{Split}')."),
            (string.IsNullOrWhiteSpace(Out), "--out is required: the file to write, e.g. --out arithmetic.txt."),
            (Out is not null && Directory.Exists(Out), $"--out '{Out}' is a folder; give a file name."),
        }.FirstOrDefault(check => check.Bad).Problem;
        return problem is null ? ValidationResult.Success() : ValidationResult.Error(problem);
    }
}

/// <summary>
/// <c>quietstar data arithmetic</c>: writes a seeded N-digit addition corpus (terse, worked or mixed; text or GSM8K
/// JSON Lines) and prints one JSON line describing it.
/// </summary>
internal sealed class ArithmeticDataCommand(CliConsole console) : Command<ArithmeticDataSettings>
{
    /// <inheritdoc />
    public override int Execute(CommandContext context, ArithmeticDataSettings settings, CancellationToken cancellationToken)
    {
        var problems = ArithmeticProblems.Generate(settings.Digits, settings.Count, settings.Seed, settings.ParsedSplit);
        string text = ArithmeticProblems.Format(problems, settings.ParsedStyle, settings.Format == "jsonl", settings.Seed);
        string path = Path.GetFullPath(settings.Out!);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        console.Output.WriteLine(JsonLine.Serialize(new
        {
            Out = path,
            settings.Digits,
            settings.Count,
            settings.Seed,
            Style = settings.ParsedStyle.ToString().ToLowerInvariant(),
            settings.Format,
            Split = settings.ParsedSplit.ToString().ToLowerInvariant(),
            WorkingTokens = ArithmeticProblems.WorkingLength(settings.Digits),
        }));
        return 0;
    }
}
