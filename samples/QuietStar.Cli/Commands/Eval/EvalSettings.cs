using QuietStar.Core.Algorithm;
using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Commands.Eval;

/// <summary>Options of <c>quietstar eval</c>.</summary>
internal sealed class EvalSettings : ModelSettings
{
    /// <summary>The task.</summary>
    [CommandOption("--task <TASK>", isRequired: true)]
    [Description("gsm8k or csqa (answer probability, the paper's zero-shot direct metric), or text (per-token NLL of --data, overall and on the hardest 10 % of tokens).")]
    public string Task { get; init; } = "";

    /// <summary>The data file; the embedded shared split for gsm8k/csqa when null.</summary>
    [CommandOption("--data <FILE>")]
    [Description("JSON Lines data set (gsm8k: question/answer; csqa: CommonsenseQA records) or, for text, a UTF-8 text file. Default for gsm8k/csqa: the embedded shared split; text has no default.")]
    public string? Data { get; init; }

    /// <summary>How many questions (or, for text, tokens) to evaluate.</summary>
    [CommandOption("--limit <N>")]
    [Description("Evaluate only the first N questions (text: the first N tokens). Default: all (--cot: 128, as the reference).")]
    public int? Limit { get; init; }

    /// <summary>Think with a plain model, equipping it freshly.</summary>
    [CommandOption("--thoughts")]
    [Description("Think at every position. A Quiet-STaR checkpoint thinks by default; a plain model is equipped freshly (untrained: mixing weight 0, so it scores exactly as without thoughts).")]
    public bool Thoughts { get; init; }

    /// <summary>Evaluate the base predictions only.</summary>
    [CommandOption("--no-thoughts")]
    [Description("Score the base model's predictions, without thoughts (also for a checkpoint).")]
    public bool NoThoughts { get; init; }

    /// <summary>Thought length at evaluation.</summary>
    [CommandOption("--thought-tokens <T>")]
    [Description("Sampled tokens per thought. Default: the checkpoint's; 9 (the reference's) for a freshly equipped model.")]
    public int? ThoughtTokens { get; init; }

    /// <summary>How thought tokens are picked at evaluation.</summary>
    [CommandOption("--thought-sampling <MODE>")]
    [Description("model (default: the model's own samples, as the reference), greedy (its most likely token at every thought step) or uniform (random tokens: a control for what the thoughts' content contributes).")]
    public string? ThoughtSampling { get; init; }

    /// <summary>The chosen thought sampling (valid after validation).</summary>
    public Core.Algorithm.ThoughtSampling ChosenThoughtSampling =>
        ThoughtSampling is null ? Core.Algorithm.ThoughtSampling.Model : ParseSampling(ThoughtSampling) ?? throw new InvalidOperationException("unreachable: validated");

    /// <summary>Seed of the thought sampler and of CoT sampling.</summary>
    [CommandOption("--seed <S>")]
    [Description("Seed of the sampled thoughts (and of --cot sampling). Default 0.")]
    [DefaultValue(0L)]
    public long Seed { get; init; }

    /// <summary>Tokens per question or text window.</summary>
    [CommandOption("--seq-len <L>")]
    [Description("Tokens per question (longer ones keep their last tokens) or per text window. Default 256, as the reference.")]
    [DefaultValue(256)]
    public int SequenceLength { get; init; }

    /// <summary>Sequences per forward pass.</summary>
    [CommandOption("--batch <B>")]
    [Description("Questions or text windows per forward pass (the sampled thoughts depend on it). Default 8.")]
    [DefaultValue(8)]
    public int Batch { get; init; }

    /// <summary>Skip malformed data-set lines.</summary>
    [CommandOption("--skip-malformed")]
    [Description("Skip and count malformed JSON Lines lines instead of failing at the first one.")]
    public bool SkipMalformed { get; init; }

    /// <summary>Zero-shot chain of thought instead of answer probability.</summary>
    [CommandOption("--cot")]
    [Description("GSM8K zero-shot chain of thought with a majority vote (cot-maj@K): sampled reasoning at temperature 0.9, then the answer. Generates without thoughts for now.")]
    public bool Cot { get; init; }

    /// <summary>Votes per question with <c>--cot</c>.</summary>
    [CommandOption("--samples <K>")]
    [Description("Samples (votes) per question with --cot. Default 8.")]
    public int? Samples { get; init; }

    /// <summary>A baseline model to compare with on <c>--task text</c>.</summary>
    [CommandOption("--baseline <MODEL>")]
    [Description("With --task text: also score this model (e.g. a plain LM trained for the same steps) on the same text, windows and seed, by its base predictions, and add vs_baseline to the JSON: --model's talk NLL minus the baseline's per token, with paired-bootstrap 95 % intervals over all tokens and the baseline's hardest 10 %.")]
    public string? Baseline { get; init; }

    /// <summary>Exact match instead of answer probability.</summary>
    [CommandOption("--exact-match")]
    [Description("With --task gsm8k: greedily write the answer after \"A:\" (thinking as the model was trained to, see --decoding) and count exact matches of the first number; prints exact_match, n and a 95 % Wilson interval.")]
    public bool ExactMatch { get; init; }

    /// <summary>When to think while decoding with --exact-match.</summary>
    [CommandOption("--decoding <MODE>")]
    [Description("With --exact-match: every-token (a fresh thought before every token, the reference) or think-then-speak (think once, speak the training's M talk tokens along the thought). Default: the checkpoint's.")]
    public string? Decoding { get; init; }

    /// <summary>Tokens per answer with --exact-match.</summary>
    [CommandOption("--max-tokens <N>")]
    [Description("With --exact-match: tokens generated at most per answer (decoding stops at a newline). Default 12.")]
    public int? MaxTokens { get; init; }

    /// <summary>Text the exact-match prompt ends with.</summary>
    [CommandOption("--answer-prefix <TEXT>")]
    [Description("With --exact-match: text the prompt ends with after \"A: \", e.g. \"(\" to make a model that learned worked answers write its working; the answer is then read after the last --answer-after.")]
    public string? AnswerPrefix { get; init; }

    /// <summary>Where the answer starts in the generated line.</summary>
    [CommandOption("--answer-after <TEXT>")]
    [Description("With --exact-match: read the answer after the last occurrence of this text in the generated line (e.g. \")\" after a working). Default: from the start.")]
    public string? AnswerAfter { get; init; }

    /// <summary>The chosen decoding mode, or null for the model's own.</summary>
    public Core.Algorithm.ThoughtDecoding? ChosenDecoding => DecodingFlag.Parse(Decoding);

    /// <summary>The chosen task (valid after validation).</summary>
    public EvalTask ChosenTask => EvalTask.Find(Task) ?? throw new InvalidOperationException("unreachable: validated");

    /// <summary>
    /// The loader of <see cref="Baseline"/> (null without one): a checkpoint with its own tokenizer, or a plain model
    /// with <c>--tokenizer</c>.
    /// </summary>
    public ModelSettings? BaselineSettings => Baseline is null ? null
        : new ModelSettings { Model = Baseline, DeviceName = DeviceName, DTypeName = DTypeName } is { ModelIsCheckpoint: true } checkpoint ? checkpoint
        : new ModelSettings { Model = Baseline, Tokenizer = Tokenizer, DeviceName = DeviceName, DTypeName = DTypeName };

    /// <inheritdoc />
    protected override long TokensPerForwardCall => (long)Batch * SequenceLength;

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        string? problem = CheckTask() ?? CheckRanges() ?? CheckThoughts();
        return problem is null ? base.Validate() : ValidationResult.Error(problem);
    }

    private string? CheckTask()
    {
        var task = EvalTask.Find(Task);
        return task is null ? $"--task '{Task}' is unknown. Tasks: {EvalTask.Listing}."
            : task.DefaultData is null && Data is null ? $"--task {task.Name} needs --data FILE (a UTF-8 text file): there is no default text."
            : Data is not null && !File.Exists(Data) ? $"--data file '{Data}' does not exist."
            : Cot && task != EvalTask.Gsm8k ? $"--cot is for --task gsm8k (got {task.Name})."
            : ExactMatch && task != EvalTask.Gsm8k ? $"--exact-match is for --task gsm8k (got {task.Name})."
            : ExactMatch && Cot ? "--exact-match and --cot are two different GSM8K evaluations; give one."
            : Decoding is not null && !ExactMatch ? "--decoding chooses how --exact-match generates; add --exact-match (answer probability and text NLL score a thought before every token)."
            : (AnswerPrefix is not null || AnswerAfter is not null) && !ExactMatch ? "--answer-prefix and --answer-after shape --exact-match prompts; add --exact-match."
            : AnswerAfter is "" ? "--answer-after must not be empty."
            : MaxTokens is not null && !ExactMatch ? "--max-tokens bounds the answers of --exact-match; add --exact-match."
            : DecodingFlag.Problem(Decoding) is { } decodingProblem ? decodingProblem
            : Samples is not null && !Cot ? "--samples is the number of votes of --cot; add --cot."
            : Baseline is not null && task != EvalTask.Text ? $"--baseline compares per-token NLL and is for --task text (got {task.Name})."
            : Baseline is not null && !File.Exists(Baseline) && !Directory.Exists(Baseline) ? $"--baseline '{Baseline}' does not exist."
            : null;
    }

    private string? CheckRanges() => new (bool Bad, string Problem)[]
    {
        (Limit < 1, $"--limit must be at least 1 (got {Limit})."),
        (MaxTokens < 1, $"--max-tokens must be at least 1 (got {MaxTokens})."),
        (Samples < 1, $"--samples must be at least 1 (got {Samples})."),
        (ThoughtTokens < 1, $"--thought-tokens must be at least 1 (got {ThoughtTokens})."),
        (SequenceLength < 3, $"--seq-len must be at least 3 (got {SequenceLength})."),
        (Batch < 1, $"--batch must be at least 1 (got {Batch})."),
    }.FirstOrDefault(check => check.Bad).Problem;

    private static Core.Algorithm.ThoughtSampling? ParseSampling(string text) =>
        Enum.TryParse<Core.Algorithm.ThoughtSampling>(text, ignoreCase: true, out var mode) && Enum.IsDefined(mode) && !int.TryParse(text, out _) ? mode : null;

    private string? CheckThoughts() =>
        Thoughts && NoThoughts ? "--thoughts and --no-thoughts contradict each other."
        : ThoughtSampling is not null && ParseSampling(ThoughtSampling) is null ? $"--thought-sampling '{ThoughtSampling}' is unknown. Modes: model, greedy, uniform."
        : ThoughtSampling is not null && (NoThoughts || Cot) ? "--thought-sampling picks the thought tokens, but " + (Cot ? "--cot generates without thoughts." : "--no-thoughts turns thoughts off.")
        : ThoughtSampling is not null && !Thoughts && !ModelIsCheckpoint
            ? $"--thought-sampling asks the model to think, but {ModelName} is a plain language model with no thought tokens. Add --thoughts, or give a Quiet-STaR checkpoint as --model."
        : Cot && (Thoughts || ThoughtTokens is not null) ? "--cot generates without thoughts for now; drop --thoughts/--thought-tokens."
        : ThoughtTokens is not null && NoThoughts ? "--thought-tokens sets the length of thoughts, but --no-thoughts turns them off."
        : ThoughtTokens is not null && !Thoughts && !ModelIsCheckpoint
            ? $"--thought-tokens asks the model to think, but {ModelName} is a plain language model with no thought tokens. " +
              "Add --thoughts to equip it freshly (untrained thoughts: mixing weight 0, the same scores as without thoughts), or give a Quiet-STaR checkpoint as --model."
        : null;
}
