using System.Runtime.CompilerServices;
using System.Threading.Channels;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Inference;

namespace QuietStar.Core;

/// <summary>Generation on the pipeline as .NET applications consume it: asynchronous, streamed, cancellable, thread-safe.</summary>
/// <remarks>
/// <para>
/// Thread safety: <see cref="GenerateAsync(string, GenerationOptions?, ThoughtOptions?, CancellationToken)"/>,
/// <see cref="GenerateBatchAsync"/> and the chat client of <see cref="AsChatClient"/> may be called from any number of
/// threads at once. Requests on one pipeline, and on the pipelines made from it by <see cref="With(QuietStarOptions)"/>
/// (which share its model), are serialised (first come, first served): one model, one set of
/// parameters and one native thread pool serve one request at a time, so a request never sees another's cache and the
/// output of a request equals what it gives alone. Each request's torch work runs from start to end on one dedicated
/// thread (TorchSharp's dispose scopes are per thread), never on the caller's thread or a thread-pool continuation.
/// </para>
/// <para>
/// The synchronous <see cref="Generate"/>, <see cref="GenerateBatch"/> and <see cref="Stream"/> take part in the same
/// serialisation and run on the caller's thread, as do the evaluations (<c>Evaluate…</c>). Not covered: trainers work
/// on the same model without the gate; do not train while serving requests.
/// </para>
/// </remarks>
public sealed partial class QuietStarPipeline
{
    /// <summary>How many pieces a request may compute ahead of a slow reader before it waits.</summary>
    private const int PiecesAhead = 64;

    private int disposeState;                                  // 0 live, 1 disposing or disposed (set once, atomically)

    /// <summary>This pipeline's, shared with every pipeline made from it by <see cref="With(QuietStarOptions)"/>.</summary>
    private SemaphoreSlim generationGate => modelGate.Gate;

    /// <summary>Disposed, or made by <see cref="With(QuietStarOptions)"/> from a pipeline that has released the model since.</summary>
    private bool IsDisposed => Volatile.Read(ref disposeState) == 1 || modelGate.ModelReleased;

    /// <summary>
    /// This pipeline as a Microsoft.Extensions.AI chat client: the conversation is rendered with <paramref name="template"/>
    /// and continued with quiet decoding through <see cref="GenerateAsync(string, GenerationOptions?, ThoughtOptions?, CancellationToken)"/>,
    /// so its requests are served one at a time with the others (see the class remarks). Streaming updates carry each
    /// token's text as <see cref="Microsoft.Extensions.AI.TextContent"/> and, before it, the hidden thought it was
    /// predicted from as <see cref="Microsoft.Extensions.AI.TextReasoningContent"/> whose additional properties hold
    /// <c>mixing_weight</c> (float), <c>talk_step</c> (int) and <c>token_index</c> (int); every update with a thought also
    /// has <c>mixing_weight</c> in its own additional properties. The client does not own the pipeline; disposing the
    /// client leaves it open.
    /// </summary>
    /// <remarks>
    /// Chat options: <see cref="Microsoft.Extensions.AI.ChatOptions.MaxOutputTokens"/> (default 256, or what the context
    /// leaves), <see cref="Microsoft.Extensions.AI.ChatOptions.Temperature"/> (0 is greedy),
    /// <see cref="Microsoft.Extensions.AI.ChatOptions.TopP"/>, <see cref="Microsoft.Extensions.AI.ChatOptions.Seed"/> (also
    /// seeds the thoughts), <see cref="Microsoft.Extensions.AI.ChatOptions.StopSequences"/> (added to the template's),
    /// <see cref="Microsoft.Extensions.AI.ChatOptions.Instructions"/> (a system message first) and
    /// <see cref="Microsoft.Extensions.AI.ChatOptions.Reasoning"/>: effort <c>None</c> decodes without thoughts, output
    /// <c>None</c> thinks without showing the thoughts. Tools and response formats are not supported and are ignored.
    /// </remarks>
    /// <param name="template">The chat format; the model folder's recognised template, else <see cref="ChatTemplate.Plain"/>, when null.</param>
    public Microsoft.Extensions.AI.IChatClient AsChatClient(ChatTemplate? template = null) => new QuietStarChatClient(this, template);

    /// <summary>
    /// A synchronous quiet-decoding generator over this pipeline's model and tokenizer (modules shared, not copied), for
    /// the library's own evaluations. It does not take part in the serialisation of requests.
    /// </summary>
    internal QuietStarGenerator CreateGenerator() => QuietStarGenerator.For(Model, Tokenizer);

    /// <summary>
    /// Generates the continuation of <paramref name="prompt"/> on the caller's thread, after any running request (see the
    /// class remarks): for console apps and batch jobs that do not use the asynchronous API.
    /// </summary>
    /// <param name="prompt">The text to continue; empty to start from BOS.</param>
    /// <param name="options">Decoding and stopping; defaults (256 tokens, temperature 1, top-p 0.9) when null.</param>
    /// <param name="thoughts">Whether and how to think; the model's own way, thoughts not included, when null. <see cref="ThoughtOptions.None"/> decodes as the base model.</param>
    /// <param name="cancellationToken">Stops the generation between two tokens (<see cref="OperationCanceledException"/>).</param>
    /// <inheritdoc cref="GenerateBatchAsync" path="/exception"/>
    public GeneratedText Generate(string prompt, GenerationOptions? options = null, ThoughtOptions? thoughts = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return GenerateBatch([prompt], options, thoughts, cancellationToken)[0];
    }

    /// <summary>As <see cref="GenerateBatchAsync"/>, on the caller's thread after any running request (see the class remarks).</summary>
    /// <param name="prompts">The texts to continue, one left-padded batch.</param>
    /// <param name="options">Decoding and stopping; defaults when null.</param>
    /// <param name="thoughts">Whether and how to think; the model's own way when null.</param>
    /// <param name="cancellationToken">Stops the generation between two tokens (<see cref="OperationCanceledException"/>).</param>
    /// <inheritdoc cref="GenerateBatchAsync" path="/exception"/>
    public IReadOnlyList<GeneratedText> GenerateBatch(IReadOnlyList<string> prompts, GenerationOptions? options = null, ThoughtOptions? thoughts = null,
        CancellationToken cancellationToken = default)
    {
        var (generator, decoding, thinking) = PrepareBatch(prompts, options, thoughts);
        Enter(cancellationToken);
        try
        {
            return generator.GenerateBatch(prompts, decoding, thinking, cancellationToken);
        }
        finally
        {
            generationGate.Release();
        }
    }

    /// <summary>
    /// As <see cref="GenerateAsync(string, GenerationOptions?, ThoughtOptions?, CancellationToken)"/>, enumerated on the
    /// caller's thread: the request waits for a running one when enumeration starts and holds its turn until the
    /// enumerator is disposed (<c>foreach</c> does), so break out of the loop rather than abandon it.
    /// </summary>
    /// <param name="prompt">The text to continue; empty to start from BOS.</param>
    /// <param name="options">Decoding and stopping; defaults when null.</param>
    /// <param name="thoughts">Whether and how to think; the model's own way, every thought included, when null.</param>
    /// <param name="cancellationToken">Stops the generation between two tokens (<see cref="OperationCanceledException"/>).</param>
    /// <inheritdoc cref="GenerateAsync(string, GenerationOptions?, ThoughtOptions?, CancellationToken)" path="/exception"/>
    public IEnumerable<GenerationPiece> Stream(string prompt, GenerationOptions? options = null, ThoughtOptions? thoughts = null,
        CancellationToken cancellationToken = default)
    {
        var pieces = PrepareStream(prompt, options, thoughts);
        return StreamOnCaller(pieces, cancellationToken);
    }

    /// <summary>
    /// Streams the continuation of <paramref name="prompt"/> with thoughts: one piece per token, each with the hidden
    /// thought it was predicted from and its mixing weight.
    /// </summary>
    /// <param name="prompt">The text to continue; empty to start from BOS.</param>
    /// <param name="options">Decoding and stopping; defaults (256 tokens, temperature 1, top-p 0.9) when null.</param>
    /// <param name="cancellationToken">Stops the generation between two tokens; the enumeration then throws <see cref="OperationCanceledException"/>.</param>
    /// <inheritdoc cref="GenerateAsync(string, GenerationOptions?, ThoughtOptions?, CancellationToken)" path="/exception"/>
    public IAsyncEnumerable<GenerationPiece> GenerateAsync(string prompt, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        GenerateAsync(prompt, options, thoughts: null, cancellationToken);

    /// <summary>
    /// Streams the continuation of <paramref name="prompt"/>, one piece per generated token, computed on a dedicated
    /// thread while the caller awaits. Concurrent requests on this pipeline are served one at a time (see the class remarks).
    /// </summary>
    /// <param name="prompt">The text to continue; empty to start from BOS.</param>
    /// <param name="options">Decoding and stopping; defaults (256 tokens, temperature 1, top-p 0.9) when null. <see cref="GenerationOptions.Seed"/> also seeds the thoughts.</param>
    /// <param name="thoughts">
    /// Whether and how to think; null thinks as the model was trained to (the <c>Decoding</c> of <see cref="Options"/>)
    /// and includes every thought in the pieces. <see cref="ThoughtOptions.None"/> decodes as the base model.
    /// </param>
    /// <param name="cancellationToken">
    /// Stops the generation between two tokens (or while the request waits for its turn); the enumeration then throws
    /// <see cref="OperationCanceledException"/>. Leaving the enumeration early (<c>break</c>) also stops it.
    /// </param>
    /// <returns>The pieces, computed when the sequence is enumerated; the prompt is not included.</returns>
    /// <exception cref="ArgumentException">
    /// The options are invalid, or the prompt and <see cref="GenerationOptions.MaxTokens"/> (and the last token's
    /// thought) do not fit the model's context; thrown by this call, before any work.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The pipeline is disposed.</exception>
    public IAsyncEnumerable<GenerationPiece> GenerateAsync(string prompt, GenerationOptions? options, ThoughtOptions? thoughts,
        CancellationToken cancellationToken = default)
    {
        var pieces = PrepareStream(prompt, options, thoughts);
        return StreamOnWorker(pieces, cancellationToken);
    }

    /// <summary>
    /// Generates continuations of several prompts in one left-padded batch, on a dedicated thread, serialised with the
    /// other requests. With greedy text, row r equals the prompt's single generation with seed Seed + r (up to rounding in near ties).
    /// </summary>
    /// <param name="prompts">The texts to continue (at least one).</param>
    /// <param name="options">Decoding and stopping, shared by every row; defaults when null.</param>
    /// <param name="thoughts">Whether and how to think; null thinks as the model was trained to.</param>
    /// <param name="cancellationToken">
    /// Stops the batch between two tokens (or while it waits for its turn); the task then ends in <see cref="OperationCanceledException"/>.
    /// </param>
    /// <returns>One result per prompt, in order.</returns>
    /// <exception cref="ArgumentException">No prompts, invalid options, or the longest prompt does not fit the context; thrown by this call.</exception>
    /// <exception cref="ObjectDisposedException">The pipeline is disposed.</exception>
    public Task<IReadOnlyList<GeneratedText>> GenerateBatchAsync(IReadOnlyList<string> prompts, GenerationOptions? options = null,
        ThoughtOptions? thoughts = null, CancellationToken cancellationToken = default)
    {
        var (generator, decoding, thinking) = PrepareBatch(prompts, options, thoughts);
        return RunBatch(generator, prompts.ToArray(), decoding, thinking, cancellationToken);
    }

    /// <summary>
    /// Validates the options, encodes the prompt and checks the context on the caller's thread; no tensor is touched
    /// until the returned sequence is enumerated.
    /// </summary>
    private IEnumerable<ThoughtfulPiece> PrepareStream(string prompt, GenerationOptions? options, ThoughtOptions? thoughts)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var (decoding, thinking) = Snapshot(options, thoughts, includeThoughts: true);
        decoding.Validate();
        return CreateGenerator().Stream(prompt, decoding, thinking);
    }

    /// <summary>Validates a batch request and checks every prompt against the context, before it queues.</summary>
    private (QuietStarGenerator Generator, GenerationOptions Decoding, ThoughtOptions Thinking) PrepareBatch(IReadOnlyList<string> prompts,
        GenerationOptions? options, ThoughtOptions? thoughts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (prompts.Count == 0)
        {
            throw new ArgumentException("No prompts: give at least one.", nameof(prompts));
        }

        if (prompts.Any(prompt => prompt is null))
        {
            throw new ArgumentException("A prompt is null.", nameof(prompts));
        }

        var (decoding, thinking) = Snapshot(options, thoughts, includeThoughts: false);
        decoding.Validate();
        thinking.Validate();
        var generator = CreateGenerator();
        foreach (string prompt in prompts.Distinct())
        {
            // The context check, per prompt, before the request queues (Stream checks without touching a tensor).
            _ = generator.Stream(prompt, decoding, thinking);
        }

        return (generator, decoding, thinking);
    }

    /// <summary>
    /// Copies of the request's options (defaults when null; <paramref name="includeThoughts"/> for the default thoughts):
    /// the options are mutable, and a request validated now runs later, maybe on another thread, so a caller changing
    /// its options afterwards must not change the request. The stop strings are copied too: they may be the caller's own
    /// list, which the request reads on every token. A null list stays null, for <see cref="GenerationOptions.Validate"/> to refuse.
    /// </summary>
    private static (GenerationOptions Decoding, ThoughtOptions Thinking) Snapshot(GenerationOptions? options, ThoughtOptions? thoughts, bool includeThoughts) =>
        (options is null ? new GenerationOptions() : options with { StopStrings = options.StopStrings is null ? null! : [.. options.StopStrings] },
         thoughts is null ? new ThoughtOptions { IncludeThoughts = includeThoughts } : thoughts with { });

    private async Task<IReadOnlyList<GeneratedText>> RunBatch(QuietStarGenerator generator, string[] prompts, GenerationOptions options,
        ThoughtOptions thoughts, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Factory.StartNew(
                () => generator.GenerateBatch(prompts, options, thoughts, cancellationToken),
                cancellationToken, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            generationGate.Release();
        }
    }

    /// <summary>Runs <paramref name="pieces"/> on a dedicated thread once it is this request's turn, handing them over through a bounded channel.</summary>
    private async IAsyncEnumerable<GenerationPiece> StreamOnWorker(IEnumerable<ThoughtfulPiece> pieces, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        var channel = Channel.CreateBounded<GenerationPiece>(new BoundedChannelOptions(PiecesAhead)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task worker = Task.CompletedTask;
        try
        {
            worker = Task.Factory.StartNew(() => Produce(pieces, channel.Writer, stop.Token),
                CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
            await foreach (var piece in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return piece;
            }
        }
        finally
        {
            // Finished, failed, cancelled or abandoned by the reader: the worker stops at its next token, and the next
            // request starts only once this one's torch work has ended.
            await stop.CancelAsync().ConfigureAwait(false);
            await worker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            generationGate.Release();
        }
    }

    /// <summary>The pieces of one request, computed on the caller's thread while it holds the request's turn.</summary>
    private IEnumerable<GenerationPiece> StreamOnCaller(IEnumerable<ThoughtfulPiece> pieces, CancellationToken cancellationToken)
    {
        Enter(cancellationToken);
        try
        {
            int index = 0;
            foreach (var piece in pieces)
            {
                yield return new GenerationPiece(index++, piece.TokenId, piece.Text, piece.Thought);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            generationGate.Release();
        }
    }

    /// <summary>The request's thread: enumerates the synchronous generator, one token at a time, until done or stopped.</summary>
    private static void Produce(IEnumerable<ThoughtfulPiece> pieces, ChannelWriter<GenerationPiece> writer, CancellationToken stop)
    {
        Exception? error = null;
        try
        {
            int index = 0;
            foreach (var piece in pieces)
            {
                var item = new GenerationPiece(index++, piece.TokenId, piece.Text, piece.Thought);
                if (!writer.TryWrite(item))
                {
                    writer.WriteAsync(item, stop).AsTask().GetAwaiter().GetResult();  // waits for a slow reader on this thread
                }

                if (stop.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped by the reader; it reports its own cancellation.
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            writer.TryComplete(error);
        }
    }

    /// <summary>Waits for this request's turn; refuses once the pipeline is disposed.</summary>
    private async Task EnterAsync(CancellationToken cancellationToken)
    {
        await generationGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        LeaveIfDisposed();
    }

    /// <summary>As <see cref="EnterAsync"/>, blocking the caller's thread (the synchronous requests).</summary>
    private void Enter(CancellationToken cancellationToken)
    {
        generationGate.Wait(cancellationToken);
        LeaveIfDisposed();
    }

    /// <summary>Called holding the gate: gives the turn back and refuses when the pipeline (or its model's owner) was disposed meanwhile.</summary>
    private void LeaveIfDisposed()
    {
        if (IsDisposed)
        {
            generationGate.Release();
            throw new ObjectDisposedException(nameof(QuietStarPipeline), modelGate.ModelReleased
                ? "The pipeline that owns the model was disposed while this request waited for its turn."
                : "The pipeline was disposed while this request waited for its turn.");
        }
    }

    /// <summary>
    /// Runs <paramref name="release"/> once, after the running request (if any) of this pipeline or of one sharing its
    /// model has finished; later requests are refused.
    /// </summary>
    private void DisposeAfterGeneration(Action release)
    {
        if (Interlocked.Exchange(ref disposeState, 1) == 1)
        {
            return;                    // another Dispose got here first (two concurrent calls must not release twice)
        }

        generationGate.Wait();
        try
        {
            release();
            if (ownsModel)
            {
                modelGate.ModelReleased = true;  // pipelines made by With share the model: they refuse from now on
            }
        }
        finally
        {
            generationGate.Release();  // waiting requests enter, see the flag and throw
        }
    }

    /// <summary>The serialisation of one model's requests, shared by a pipeline and those made from it by <see cref="With(QuietStarOptions)"/>.</summary>
    private sealed class ModelGate
    {
        /// <summary>One request at a time.</summary>
        public readonly SemaphoreSlim Gate = new(1, 1);

        /// <summary>Set (under <see cref="Gate"/>) once the owning pipeline has released the model.</summary>
        public volatile bool ModelReleased;
    }
}
