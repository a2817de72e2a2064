using QuietStar.Core.Inference;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace QuietStar.Core;

/// <summary>
/// A Microsoft.Extensions.AI <see cref="IChatClient"/> over a <see cref="QuietStarPipeline"/>, made by
/// <see cref="QuietStarPipeline.AsChatClient"/>, whose documentation says what the updates carry and which chat options
/// are read. Thread-safe: requests go through the pipeline's generation, which serves them one at a time.
/// </summary>
internal sealed class QuietStarChatClient : IChatClient
{
    /// <summary>Default reply budget when <see cref="ChatOptions.MaxOutputTokens"/> is not set (lowered to what the context leaves).</summary>
    public const int DefaultMaxOutputTokens = 256;

    private readonly QuietStarPipeline pipeline;
    private readonly ChatClientMetadata metadata;

    /// <summary>A chat client over <paramref name="pipeline"/> with <paramref name="template"/>.</summary>
    /// <param name="pipeline">The pipeline that generates; it stays owned by the caller.</param>
    /// <param name="template">The chat format; the model folder's recognised template, else <see cref="ChatTemplate.Plain"/>, when null.</param>
    public QuietStarChatClient(QuietStarPipeline pipeline, ChatTemplate? template = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        this.pipeline = pipeline;
        Template = template
            ?? (Directory.Exists(pipeline.ModelDescription) ? ChatTemplate.FromModelFolder(pipeline.ModelDescription) : null)
            ?? ChatTemplate.Plain;
        metadata = new ChatClientMetadata("QuietStar.Core", providerUri: null, defaultModelId: pipeline.ModelDescription);
    }

    /// <summary>The chat format in use.</summary>
    public ChatTemplate Template { get; }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var contents = new List<AIContent>();
        var text = new System.Text.StringBuilder();
        ChatResponseUpdate? last = null;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            contents.AddRange(update.Contents.Where(content => content is TextReasoningContent));
            text.Append(update.Text);
            last = update;
        }

        contents.Add(new TextContent(text.ToString()));
        var message = new ChatMessage(ChatRole.Assistant, contents) { MessageId = last?.MessageId };
        return new ChatResponse(message)
        {
            ResponseId = last?.ResponseId,
            ModelId = metadata.DefaultModelId,
            CreatedAt = last?.CreatedAt,
            FinishReason = last?.FinishReason,
            Usage = last?.Contents.OfType<UsageContent>().FirstOrDefault()?.Details,
        };
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">
    /// A message has an unsupported role, an option is out of range, or the conversation does not fit the model's
    /// context (thrown when the enumeration starts, before any generation).
    /// </exception>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string prompt = Template.Render(messages, options?.Instructions);
        int promptTokens = pipeline.Tokenizer.Encode(prompt, addBos: pipeline.Tokenizer.BosId is not null).Length;
        var generation = Generation(options, promptTokens);
        var thoughts = Thoughts(options);

        string responseId = Guid.NewGuid().ToString("N");
        string messageId = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        int tokens = 0;
        await foreach (var piece in pipeline.GenerateAsync(prompt, generation, thoughts, cancellationToken).ConfigureAwait(false))
        {
            tokens++;
            var contents = new List<AIContent>(2);
            var update = new ChatResponseUpdate(ChatRole.Assistant, contents)
            {
                ResponseId = responseId,
                MessageId = messageId,
                CreatedAt = created,
                ModelId = metadata.DefaultModelId,
            };
            if (piece.Details is { } thought)
            {
                update.AdditionalProperties = new AdditionalPropertiesDictionary { ["mixing_weight"] = thought.MixingWeight };
                if (thought.TalkStep == 0)
                {
                    contents.Add(new TextReasoningContent(thought.Text)
                    {
                        AdditionalProperties = new AdditionalPropertiesDictionary
                        {
                            ["mixing_weight"] = thought.MixingWeight,
                            ["talk_step"] = thought.TalkStep,
                            ["token_index"] = piece.Index,
                        },
                    });
                }
            }

            if (piece.Text.Length > 0)
            {
                contents.Add(new TextContent(piece.Text));
            }

            yield return update;
        }

        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails
        {
            InputTokenCount = promptTokens,
            OutputTokenCount = tokens,
            TotalTokenCount = promptTokens + tokens,
        })])
        {
            ResponseId = responseId,
            MessageId = messageId,
            CreatedAt = created,
            ModelId = metadata.DefaultModelId,
            FinishReason = tokens >= generation.MaxTokens ? ChatFinishReason.Length : ChatFinishReason.Stop,
        };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? metadata
            : serviceType == typeof(QuietStarPipeline) ? pipeline
            : serviceType == typeof(ChatTemplate) ? Template
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>Does nothing: the pipeline belongs to the caller.</summary>
    public void Dispose()
    {
    }

    private GenerationOptions Generation(ChatOptions? options, int promptTokens)
    {
        int room = pipeline.Model.LanguageModel.Config.MaxPositionEmbeddings - promptTokens - pipeline.Options.ThoughtTokens - 1;
        if (room < 1)
        {
            throw new ArgumentException(
                $"The conversation has {promptTokens} tokens: with {pipeline.Options.ThoughtTokens}-token thoughts no reply fits the model's context of " +
                $"{pipeline.Model.LanguageModel.Config.MaxPositionEmbeddings}. Send fewer or shorter messages.", nameof(options));
        }

        if (options?.MaxOutputTokens is < 1)
        {
            throw new ArgumentException($"MaxOutputTokens must be positive, got {options.MaxOutputTokens}.", nameof(options));
        }

        float? temperature = options?.Temperature;
        if (temperature is < 0 || (temperature is { } t && !float.IsFinite(t)))
        {
            throw new ArgumentException($"Temperature must be 0 (greedy) or positive, got {temperature}.", nameof(options));
        }

        return new GenerationOptions
        {
            MaxTokens = options?.MaxOutputTokens ?? Math.Min(DefaultMaxOutputTokens, room),
            Greedy = temperature == 0,
            Temperature = temperature is > 0 ? temperature.Value : 1.0,
            TopP = options?.TopP ?? 0.9,
            Seed = options?.Seed,
            StopStrings = [.. Template.StopStrings, .. options?.StopSequences ?? []],
        };
    }

    private static ThoughtOptions Thoughts(ChatOptions? options) => options?.Reasoning switch
    {
        { Effort: ReasoningEffort.None } => ThoughtOptions.None,
        { Output: ReasoningOutput.None } => new ThoughtOptions(),
        _ => new ThoughtOptions { IncludeThoughts = true },
    };
}
