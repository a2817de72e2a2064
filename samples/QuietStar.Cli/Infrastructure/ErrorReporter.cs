using QuietStar.Core.Training;
using System.Reflection;
using System.Text.RegularExpressions;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Infrastructure;

/// <summary>
/// Turns an exception into one red line on stderr (and the stack trace with <c>--verbose</c>) and exit code 2. A
/// library message that names an option the user set with a flag (e.g. <c>TrainingOptions.SequenceLength</c>) names
/// the flag instead (<c>--seq-len</c>), by the verb's table in <see cref="OptionFlags"/>.
/// </summary>
internal static class ErrorReporter
{
    /// <summary>The exit code of every failed command.</summary>
    public const int ExitCode = 2;

    /// <summary>Reports <paramref name="exception"/> of the command line <paramref name="args"/> and returns <see cref="ExitCode"/>.</summary>
    public static int Report(Exception exception, CliConsole console, IReadOnlyList<string> args)
    {
        var error = exception is TargetInvocationException { InnerException: { } inner } ? inner : exception;
        string message = OneLine(error);
        message = error is CommandAppException ? NameTypedOptions(message, args) : OptionFlags.ForVerb(args).Rename(message);
        console.Diagnostics.MarkupLineInterpolated($"[red]error: {message}[/]");
        if (args.Contains("--verbose"))
        {
            console.Diagnostics.WriteLine(error.ToString());
        }

        return ExitCode;
    }

    /// <summary>
    /// A command-line parser message with options named as typed: Spectre writes <c>Unknown option 'max-tokenz'</c> and
    /// <c>Failed to convert 'abc' to Int32</c>; the user typed <c>--max-tokenz</c> and <c>--max-tokens abc</c>.
    /// </summary>
    private static string NameTypedOptions(string message, IReadOnlyList<string> args)
    {
        message = Regex.Replace(message, @"(?<=\b[Oo]ption ')([^'\-][^']*)(?=')", match =>
            args.FirstOrDefault(a => a.StartsWith('-') && a.TrimStart('-') == match.Value) ?? (match.Value.Length > 1 ? "--" : "-") + match.Value);
        var failed = Regex.Match(message, @"^Failed to convert '(?<value>.*)' to (?<type>\w+)\.$");
        if (failed.Success)
        {
            string value = failed.Groups["value"].Value;
            int at = Enumerable.Range(1, Math.Max(0, args.Count - 1)).FirstOrDefault(i => args[i] == value && args[i - 1].StartsWith('-'));
            if (at > 0)
            {
                message = $"{args[at - 1]} '{value}' is not a valid {TypeName(failed.Groups["type"].Value)}.";
            }
        }

        return message;
    }

    private static string TypeName(string clrType) => clrType switch
    {
        "Int32" or "Int64" => "whole number",
        "UInt64" => "whole number ≥ 0",
        "Double" or "Single" => "number",
        _ => clrType,
    };

    /// <summary>The message on one line, without the " (Parameter 'x')" that names a library parameter the user never saw.</summary>
    private static string OneLine(Exception error)
    {
        string message = error.Message;
        if (error is ArgumentException { ParamName: { } name } && message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal))
        {
            message = message[..^$" (Parameter '{name}')".Length];
        }

        return string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}

/// <summary>
/// For one verb, the library option names that its flags set (e.g. <c>MaxTokens</c> → <c>--max-tokens</c>), so that a
/// message from the library names what the user typed.
/// </summary>
internal sealed class OptionFlags
{
    private static readonly (string Name, string Flag)[] Training =
    [
        ("TrainingOptions.SequenceLength", "--seq-len"),
        ("TrainingOptions.BatchSize", "--batch"),
        ("TrainingOptions.Steps", "--steps"),
        ("TrainingOptions.LearningRate", "--lr"),
        ("TrainingOptions.WarmupSteps", "--warmup"),
        ("TrainingOptions.EvalEvery", "--eval-every"),
        ("TrainingOptions.PlainLanguageModelSteps", "--lm-steps"),
        ("TrainingOptions.MixingHeadLearningRateMultiplier", "--head-lr-mult"),
        ("QuietStarOptions.ThoughtTokens", "--thought-tokens"),
        ("QuietStarOptions.TalkTokens", "--talk-tokens"),
        ("QuietStarOptions.Passes", "--passes"),
        ("QuietStarOptions.PolicyLossWeight", "--policy-weight"),
        ("QuietStarOptions.ThoughtEntropyWeight", "--entropy-weight"),
        ("QuietStarOptions.ThoughtKlWeight", "--kl-weight"),
        ("QuietStarOptions.PolicyWeightWarmupSteps", "--policy-warmup"),
        ("QuietStarOptions.ThoughtEmbeddingGradientScale", "--embedding-grad-scale"),
        ("QuietStarOptions.ThoughtInitText", "--start-init"),
        ("QuietStarOptions.EndThoughtInitText", "--end-init"),
    ];

    private static readonly (string Name, string Flag)[] Benchmarking =
    [
        ("TrainingOptions.SequenceLength", "--seq-len"),
        ("TrainingOptions.BatchSize", "--batch"),
        ("TrainingOptions.Steps", "--steps"),
        ("QuietStarOptions.ThoughtTokens", "--thought-tokens"),
        ("QuietStarOptions.TalkTokens", "--talk-tokens"),
        ("QuietStarOptions.Passes", "--passes"),
    ];

    private static readonly (string Name, string Flag)[] Generation =
    [
        ("GenerationOptions.MaxTokens", "--max-tokens"),
        ("GenerationOptions.Temperature", "--temperature"),
        ("GenerationOptions.TopP", "--top-p"),
        ("MaxTokens", "--max-tokens"),
        ("Temperature", "--temperature"),
        ("TopP", "--top-p"),
        ("Greedy", "--greedy"),
    ];

    private static readonly (string Name, string Flag)[] Evaluation =
    [
        ("ExactMatchOptions.MaxTokens", "--max-tokens"),
        ("ExactMatchOptions.BatchSize", "--batch"),
        ("ExactMatchOptions.Limit", "--limit"),
        ("MaxTokens", "--max-tokens"),
        ("TextNllOptions.SequenceLength", "--seq-len"),
        ("TextNllOptions.BatchSize", "--batch"),
        ("TextNllOptions.Limit", "--limit"),
        ("AnswerProbabilityOptions.SequenceLength", "--seq-len"),
        ("AnswerProbabilityOptions.BatchSize", "--batch"),
        ("AnswerProbabilityOptions.Limit", "--limit"),
        ("Sequence length", "--seq-len"),
        ("sequence length", "--seq-len"),
    ];

    private static readonly Dictionary<string, (string Name, string Flag)[]> ByVerb = new(StringComparer.Ordinal)
    {
        ["train"] = Training,
        ["generate"] = Generation,
        ["eval"] = Evaluation,
        ["bench decode"] = [("GenerationOptions.MaxTokens", "--max-tokens"), ("MaxTokens", "--max-tokens")],
        ["bench train"] = Benchmarking,
        ["bench soak"] = Benchmarking,
    };

    private readonly (Regex Name, string Flag)[] table;

    private OptionFlags((string Name, string Flag)[] names)
    {
        // Longest names first, so that a qualified name is replaced before a bare one it contains.
        table = names.OrderByDescending(n => n.Name.Length)
            .Select(n => (new Regex($@"(?<![\w.-]){Regex.Escape(n.Name)}(?![\w])", RegexOptions.CultureInvariant), n.Flag))
            .ToArray();
    }

    /// <summary>The table of the verb <paramref name="args"/> run (its words before the first option); empty for other verbs.</summary>
    public static OptionFlags ForVerb(IReadOnlyList<string> args)
    {
        string verb = string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(2));
        return new OptionFlags(
            ByVerb.TryGetValue(verb, out var names) || ByVerb.TryGetValue(verb.Split(' ')[0], out names) ? names : []);
    }

    /// <summary><paramref name="message"/> with every library option name of the table replaced by its flag.</summary>
    public string Rename(string message) =>
        table.Aggregate(message, (text, entry) => entry.Name.Replace(text, entry.Flag));
}
