using QuietStar.Core.Evaluation;
using QuietStar.Core.Inference;

namespace QuietStar.Core;

public sealed partial class QuietStarPipeline
{
    /// <summary>
    /// Per-token NLL of <paramref name="text"/> (paper §5.2): the text is cut into BOS-started windows of
    /// <see cref="TextNllOptions.SequenceLength"/> tokens and every token after the first of a window is scored, by the
    /// base model and, with <see cref="TextNllOptions.Thoughts"/>, after a thought at the position before it (one thought
    /// per position, the mixed prediction right after END, as the reference evaluates). Reports the means over all
    /// tokens and over the hardest <see cref="TextNllOptions.HardFraction"/> by base NLL.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="options">The evaluation's options (defaults when null); the thought length is the pipeline's (<c>With</c> changes it).</param>
    /// <param name="progress">Receives (windows scored, windows) after each batch, on the calling thread.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">The text is empty, an option is invalid, or a window exceeds the model's context.</exception>
    /// <exception cref="InvalidOperationException">The tokenizer has no BOS.</exception>
    public TextNllResult EvaluateTextNll(string text, TextNllOptions? options = null, IProgress<(int Completed, int Total)>? progress = null,
        CancellationToken cancellationToken = default)
    {
        return Serialised(() =>
        {
            var chosen = options ?? new TextNllOptions();
            return TextNllEvaluatorFor(chosen).Evaluate(text, chosen, Relay(progress), cancellationToken);
        }, cancellationToken);
    }

    /// <summary>As <see cref="EvaluateTextNll"/>, on the UTF-8 text file <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or holds only whitespace.</exception>
    public TextNllResult EvaluateTextNllFile(string path, TextNllOptions? options = null, IProgress<(int Completed, int Total)>? progress = null,
        CancellationToken cancellationToken = default)
    {
        return Serialised(() =>
        {
            var chosen = options ?? new TextNllOptions();
            return TextNllEvaluatorFor(chosen).EvaluateFile(path, chosen, Relay(progress), cancellationToken);
        }, cancellationToken);
    }

    /// <summary>
    /// The paper's zero-shot direct metric (§5.1): the probability of the correct answer of every question of a JSON Lines
    /// data set, renormalised over the task's answer tokens, with or without a thought before each answer token.
    /// </summary>
    /// <param name="task">The data set's format (GSM8K: <c>{"question", "answer": "… #### 5"}</c>; CommonsenseQA: its dev format).</param>
    /// <param name="path">The JSON Lines file.</param>
    /// <param name="options">The evaluation's options (defaults when null).</param>
    /// <param name="progress">Receives (questions scored, questions) after each batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">An option is invalid or the sequence length exceeds the model's context.</exception>
    /// <exception cref="InvalidOperationException">The tokenizer cannot write the task's answers.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or has a malformed line (unless skipped).</exception>
    public AnswerProbabilityResult EvaluateAnswerProbability(AnswerProbabilityTask task, string path, AnswerProbabilityOptions? options = null,
        IProgress<(int Completed, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        return Serialised(() =>
        {
            var chosen = options ?? new AnswerProbabilityOptions();
            return AnswerProbabilityEvaluatorFor(chosen).Evaluate(EvaluationTasks.Create(task), path, chosen, Relay(progress), cancellationToken);
        }, cancellationToken);
    }

    /// <summary>As <see cref="EvaluateAnswerProbability(AnswerProbabilityTask, string, AnswerProbabilityOptions?, IProgress{ValueTuple{int, int}}?, CancellationToken)"/>, reading the JSON Lines from <paramref name="jsonLines"/>.</summary>
    /// <param name="task">The data set's format.</param>
    /// <param name="jsonLines">The data set, one JSON record a line.</param>
    /// <param name="name">How messages name the data set.</param>
    /// <param name="options">The evaluation's options (defaults when null).</param>
    /// <param name="progress">Receives (questions scored, questions) after each batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">An option is invalid or the sequence length exceeds the model's context.</exception>
    /// <exception cref="InvalidDataException">The data set is empty or has a malformed line (unless skipped).</exception>
    public AnswerProbabilityResult EvaluateAnswerProbability(AnswerProbabilityTask task, TextReader jsonLines, string name,
        AnswerProbabilityOptions? options = null, IProgress<(int Completed, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        return Serialised(() =>
        {
            var chosen = options ?? new AnswerProbabilityOptions();
            chosen.Validate();
            var library = EvaluationTasks.Create(task);
            var read = JsonlFile.Read(jsonLines, name, library.Format, chosen.SkipMalformed);
            return AnswerProbabilityEvaluatorFor(chosen).Evaluate(library, read.Items, chosen, Relay(progress), cancellationToken)
                with { SkippedMalformed = read.SkippedLines };
        }, cancellationToken);
    }

    /// <summary>
    /// Exact match on GSM8K: every problem's answer is decoded greedily after "A:" (with thoughts as
    /// <see cref="ExactMatchOptions.Thoughts"/> says) and its first number compared with the final answer; the accuracy
    /// comes with a 95 % Wilson interval.
    /// </summary>
    /// <param name="gsm8kPath">A GSM8K JSON Lines file.</param>
    /// <param name="options">Decoding options (defaults when null).</param>
    /// <param name="progress">Receives (problems answered, problems) after each batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or has a malformed line (unless skipped).</exception>
    public ExactMatchResult EvaluateExactMatch(string gsm8kPath, ExactMatchOptions? options = null, IProgress<(int Completed, int Total)>? progress = null,
        CancellationToken cancellationToken = default)
    {
        return Serialised(() =>
        {
            var chosen = options ?? new ExactMatchOptions();
            chosen.Validate();
            var read = Gsm8kTask.LoadProblems(gsm8kPath, chosen.SkipMalformed);
            return EvaluateExactMatch(read.Items, chosen, progress, cancellationToken) with { SkippedMalformed = read.SkippedLines };
        }, cancellationToken);
    }

    /// <summary>As <see cref="EvaluateExactMatch(string, ExactMatchOptions?, IProgress{ValueTuple{int, int}}?, CancellationToken)"/>, reading the GSM8K JSON Lines from <paramref name="jsonLines"/>.</summary>
    /// <param name="jsonLines">The data set, one JSON record a line.</param>
    /// <param name="name">How messages name the data set.</param>
    /// <param name="options">Decoding options (defaults when null).</param>
    /// <param name="progress">Receives (problems answered, problems) after each batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="InvalidDataException">The data set is empty or has a malformed line (unless skipped).</exception>
    public ExactMatchResult EvaluateExactMatch(TextReader jsonLines, string name, ExactMatchOptions? options = null,
        IProgress<(int Completed, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        return Serialised(() =>
        {
            var chosen = options ?? new ExactMatchOptions();
            chosen.Validate();
            var read = JsonlFile.Read(jsonLines, name, Gsm8kTask.Parse, chosen.SkipMalformed);
            return EvaluateExactMatch(read.Items, chosen, progress, cancellationToken) with { SkippedMalformed = read.SkippedLines };
        }, cancellationToken);
    }

    /// <summary>
    /// Zero-shot chain of thought on GSM8K (paper §5.1, cot-maj@K): for every problem, K reasonings are sampled after
    /// "Let's think step by step." (without thoughts), each followed by its answer, and the majority answer is scored.
    /// </summary>
    /// <param name="gsm8kPath">A GSM8K JSON Lines file.</param>
    /// <param name="options">The evaluation's options (defaults when null).</param>
    /// <param name="progress">Receives (problems answered, problems) after each problem.</param>
    /// <param name="cancellationToken">Checked between problems.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or has a malformed line (unless skipped).</exception>
    public ZeroShotCotResult EvaluateZeroShotCot(string gsm8kPath, ZeroShotCotOptions? options = null, IProgress<(int Completed, int Total)>? progress = null,
        CancellationToken cancellationToken = default) =>
        Serialised(() => new ZeroShotCotEvaluator(CotGeneration()).Evaluate(gsm8kPath, options ?? new ZeroShotCotOptions(), Relay(progress), cancellationToken), cancellationToken);

    /// <summary>As <see cref="EvaluateZeroShotCot(string, ZeroShotCotOptions?, IProgress{ValueTuple{int, int}}?, CancellationToken)"/>, reading the GSM8K JSON Lines from <paramref name="jsonLines"/>.</summary>
    /// <param name="jsonLines">The data set, one JSON record a line.</param>
    /// <param name="name">How messages name the data set.</param>
    /// <param name="options">The evaluation's options (defaults when null).</param>
    /// <param name="progress">Receives (problems answered, problems) after each problem.</param>
    /// <param name="cancellationToken">Checked between problems.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="InvalidDataException">The data set is empty or has a malformed line (unless skipped).</exception>
    public ZeroShotCotResult EvaluateZeroShotCot(TextReader jsonLines, string name, ZeroShotCotOptions? options = null,
        IProgress<(int Completed, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        return Serialised(() =>
        {
            var chosen = options ?? new ZeroShotCotOptions();
            chosen.Validate();
            var read = JsonlFile.Read(jsonLines, name, Gsm8kTask.Parse, chosen.SkipMalformed);
            return new ZeroShotCotEvaluator(CotGeneration()).Evaluate(read.Items, chosen, Relay(progress), cancellationToken)
                with { SkippedMalformed = read.SkippedLines };
        }, cancellationToken);
    }

    private ExactMatchResult EvaluateExactMatch(IReadOnlyList<Gsm8kProblem> problems, ExactMatchOptions options,
        IProgress<(int Completed, int Total)>? progress, CancellationToken cancellationToken)
    {
        var selected = options.Limit is { } limit ? problems.Take(limit).ToArray() : problems;
        return new ExactMatchEvaluator(CreateGenerator(), Tokenizer).Evaluate(selected, options, Relay(progress), cancellationToken);
    }

    private TextNllEvaluator TextNllEvaluatorFor(TextNllOptions options) => new(ScoringPass.For(Model, sampling: options.Sampling, components: components), Tokenizer);

    private AnswerProbabilityEvaluator AnswerProbabilityEvaluatorFor(AnswerProbabilityOptions options) =>
        new(ScoringPass.For(Model, sampling: options.Sampling, components: components), Tokenizer);

    /// <summary>
    /// The CoT evaluation's text generation: seeded temperature sampling (no nucleus cut, greedy at temperature 0) without
    /// thoughts and never emitting START/END. A request longer than the context leaves gets fewer tokens, none when the
    /// prompt already fills it.
    /// </summary>
    private Func<CotGenerationRequest, string> CotGeneration()
    {
        var generator = CreateGenerator();
        return request =>
        {
            int promptTokens = Tokenizer.Encode(request.Prompt, addBos: Tokenizer.BosId is not null).Length;
            int budget = Math.Min(request.MaxNewTokens, generator.Context - promptTokens);
            if (budget < 1)
            {
                return "";
            }

            bool greedy = request.Temperature == 0;
            var options = new GenerationOptions
            {
                MaxTokens = budget,
                Greedy = greedy,
                Temperature = greedy ? 1.0 : request.Temperature,
                TopP = 1.0,
                Seed = greedy ? null : request.Seed,
            };
            return generator.Generate(request.Prompt, options, ThoughtOptions.None).Text;
        };
    }

    /// <summary>
    /// Runs an evaluation on the caller's thread in its turn with the generation requests (an evaluation reads the same
    /// model; see the class remarks of the generation API), refusing once this pipeline or its model's owner is disposed.
    /// </summary>
    private T Serialised<T>(Func<T> evaluate, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Enter(cancellationToken);
        try
        {
            return evaluate();
        }
        finally
        {
            generationGate.Release();
        }
    }

    /// <summary>The evaluators' progress reports as (completed, total) pairs.</summary>
    private static ProgressRelay? Relay(IProgress<(int Completed, int Total)>? target) => target is null ? null : new ProgressRelay(target);

    private sealed class ProgressRelay(IProgress<(int Completed, int Total)> target) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => target.Report((value.Completed, value.Total));
    }
}
