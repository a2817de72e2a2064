using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace QuietStar.Core.Inference;

/// <summary>
/// How the pipeline's chat client (<c>QuietStarPipeline.AsChatClient</c>) turns a conversation into the prompt a base model continues: each message
/// as its role's prefix, its text and the turn suffix, then the assistant's prefix. The reply ends at the template's
/// stop strings (the start of the next turn), at the model's end-of-text token, or at the token budget.
/// </summary>
/// <remarks>
/// A Hugging Face <c>chat_template</c> is a Jinja program, which this library does not execute: <see cref="FromModelFolder"/>
/// recognises the ChatML family by its markers and otherwise gives no template, and <see cref="Plain"/> serves every
/// other model (small base models such as the ones trained here have no chat format of their own).
/// </remarks>
public sealed record ChatTemplate
{
    /// <summary>Written before a system message's text.</summary>
    public required string SystemPrefix { get; init; }

    /// <summary>Written before a user message's text.</summary>
    public required string UserPrefix { get; init; }

    /// <summary>Written before an assistant message's text, and at the end of the prompt for the reply.</summary>
    public required string AssistantPrefix { get; init; }

    /// <summary>Written after each message's text.</summary>
    public required string TurnSuffix { get; init; }

    /// <summary>Texts that end the reply (not included in it).</summary>
    public required IReadOnlyList<string> StopStrings { get; init; }

    /// <summary>
    /// The plain template: <c>"System: …\n"</c>, <c>"User: …\n"</c>, then <c>"Assistant: "</c>; the reply stops at
    /// <c>"\nUser:"</c> or <c>"\nSystem:"</c>.
    /// </summary>
    public static ChatTemplate Plain => new()
    {
        SystemPrefix = "System: ",
        UserPrefix = "User: ",
        AssistantPrefix = "Assistant: ",
        TurnSuffix = "\n",
        StopStrings = ["\nUser:", "\nSystem:"],
    };

    /// <summary>
    /// Question and answer, the format of the shipped arithmetic model: <c>"Q: …\n"</c>, then <c>"A: "</c>; system
    /// messages are written as they are; the reply stops at the end of its line.
    /// </summary>
    public static ChatTemplate QuestionAnswer => new()
    {
        SystemPrefix = "",
        UserPrefix = "Q: ",
        AssistantPrefix = "A: ",
        TurnSuffix = "\n",
        StopStrings = ["\n"],
    };

    /// <summary>ChatML (Qwen2 and others): <c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;\n</c>; the reply stops at <c>&lt;|im_end|&gt;</c>.</summary>
    public static ChatTemplate ChatMl => new()
    {
        SystemPrefix = "<|im_start|>system\n",
        UserPrefix = "<|im_start|>user\n",
        AssistantPrefix = "<|im_start|>assistant\n",
        TurnSuffix = "<|im_end|>\n",
        StopStrings = ["<|im_end|>", "<|im_start|>"],
    };

    /// <summary>
    /// The template a model folder declares in <c>tokenizer_config.json</c>'s <c>chat_template</c>, when it is of a
    /// family this library knows (ChatML); null when the folder has no such file, no template, or another one.
    /// </summary>
    /// <param name="folder">A Hugging Face model folder or Quiet-STaR checkpoint.</param>
    /// <exception cref="InvalidDataException"><c>tokenizer_config.json</c> is not valid JSON.</exception>
    public static ChatTemplate? FromModelFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string path = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("chat_template", out var template)
                || template.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            return template.GetString()!.Contains("<|im_start|>", StringComparison.Ordinal) ? ChatMl : null;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>The prompt for the assistant's next reply to <paramref name="messages"/>, after the optional <paramref name="instructions"/> (a system message).</summary>
    /// <exception cref="ArgumentException">A message has a role other than system, user or assistant (e.g. a tool result).</exception>
    public string Render(IEnumerable<ChatMessage> messages, string? instructions = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = new StringBuilder();
        if (!string.IsNullOrEmpty(instructions))
        {
            prompt.Append(SystemPrefix).Append(instructions).Append(TurnSuffix);
        }

        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            string prefix = message.Role == ChatRole.System ? SystemPrefix
                : message.Role == ChatRole.User ? UserPrefix
                : message.Role == ChatRole.Assistant ? AssistantPrefix
                : throw new ArgumentException(
                    $"A message has the role '{message.Role}': this chat client renders system, user and assistant messages only (it has no tools).",
                    nameof(messages));
            prompt.Append(prefix).Append(message.Text).Append(TurnSuffix);
        }

        return prompt.Append(AssistantPrefix).ToString();
    }
}
