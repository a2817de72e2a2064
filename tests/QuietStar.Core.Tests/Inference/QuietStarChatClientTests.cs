using FluentAssertions;
using Microsoft.Extensions.AI;
using QuietStar.Core.Inference;
using QuietStar.Core.Loading;
using QuietStar.Core.Testing;
using QuietStar.Core.Tests.Checkpoints;
using Xunit;

namespace QuietStar.Core.Tests.Inference;

/// <summary>The pipeline as a Microsoft.Extensions.AI chat client: templates, streamed thoughts, options.</summary>
public sealed class QuietStarChatClientTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static readonly ChatOptions Greedy = new() { Temperature = 0, Seed = 7, MaxOutputTokens = 6 };

    [Fact]
    public async Task A_checkpoint_streams_a_reply_with_its_thoughts_as_reasoning_content()
    {
        string folder = temp.File("checkpoint");
        using (var trained = TestModels.TinyPipeline(seed: 21))
        {
            trained.Save(folder);
        }

        using var pipeline = QuietStarBuilder.Create().UseModel(ModelSource.Checkpoint(folder)).Build();
        IChatClient chat = pipeline.AsChatClient();
        ChatMessage[] messages = [new(ChatRole.User, "Hi there")];

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync(messages, Greedy))
        {
            updates.Add(update);
        }

        var thoughts = updates.SelectMany(u => u.Contents.OfType<TextReasoningContent>()).ToList();
        thoughts.Should().HaveCount(6, "one thought before every token (the tiny model thinks every token)");
        thoughts.Should().OnlyContain(t => t.AdditionalProperties != null && t.AdditionalProperties["mixing_weight"] is float);
        updates.Last().FinishReason.Should().Be(ChatFinishReason.Length);
        updates.Last().Contents.OfType<UsageContent>().Single().Details.OutputTokenCount.Should().Be(6);

        string prompt = ChatTemplate.Plain.Render(messages);
        prompt.Should().Be("User: Hi there\nAssistant: ");
        var direct = pipeline.CreateGenerator().Stream(prompt,
            new GenerationOptions { MaxTokens = 6, Greedy = true, Seed = 7, StopStrings = ChatTemplate.Plain.StopStrings },
            new ThoughtOptions { IncludeThoughts = true }).ToList();
        string.Concat(updates.Select(u => u.Text)).Should().Be(string.Concat(direct.Select(p => p.Text)));
        thoughts.Select(t => t.Text).Should().Equal(direct.Select(p => p.Thought!.Text));

        var response = await chat.GetResponseAsync(messages, Greedy);
        response.Text.Should().Be(string.Concat(direct.Select(p => p.Text)));
        response.Messages.Single().Contents.OfType<TextReasoningContent>().Should().HaveCount(6);
    }

    [Fact]
    public async Task Reasoning_effort_none_decodes_without_thoughts_and_output_none_hides_them()
    {
        using var pipeline = TestModels.TinyPipeline(seed: 2);
        using var chat = pipeline.AsChatClient();
        ChatMessage[] messages = [new(ChatRole.User, "x")];

        var off = await chat.GetResponseAsync(messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 4, Reasoning = new() { Effort = ReasoningEffort.None } });
        var hidden = await chat.GetResponseAsync(messages, new ChatOptions { Temperature = 0, Seed = 1, MaxOutputTokens = 4, Reasoning = new() { Output = ReasoningOutput.None } });

        off.Messages.Single().Contents.OfType<TextReasoningContent>().Should().BeEmpty();
        off.Text.Should().Be(pipeline.CreateTextGenerator().Generate(ChatTemplate.Plain.Render(messages),
            new GenerationOptions { MaxTokens = 4, Greedy = true, StopStrings = ChatTemplate.Plain.StopStrings }).Text);
        hidden.Messages.Single().Contents.OfType<TextReasoningContent>().Should().BeEmpty();
    }

    [Fact]
    public void Templates_render_roles_instructions_and_the_assistant_prefix()
    {
        ChatMessage[] messages = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "What is 2 + 3?"), new(ChatRole.Assistant, "5"), new(ChatRole.User, "And 4 + 4?")];

        ChatTemplate.Plain.Render(messages).Should().Be("System: Be brief.\nUser: What is 2 + 3?\nAssistant: 5\nUser: And 4 + 4?\nAssistant: ");
        ChatTemplate.QuestionAnswer.Render([new(ChatRole.User, "What is 347 + 586?")]).Should().Be("Q: What is 347 + 586?\nA: ");
        ChatTemplate.ChatMl.Render([new(ChatRole.User, "hi")], instructions: "sys").Should()
            .Be("<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
        var tool = () => ChatTemplate.Plain.Render([new(ChatRole.Tool, "42")]);
        tool.Should().Throw<ArgumentException>().WithMessage("*role 'tool'*");
    }

    [Fact]
    public void A_model_folder_with_a_ChatML_template_gets_ChatML_and_others_the_plain_one()
    {
        string chatMl = temp.File("qwen");
        Directory.CreateDirectory(chatMl);
        File.WriteAllText(Path.Combine(chatMl, "tokenizer_config.json"), """{"chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"}""");
        string broken = temp.File("broken");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "tokenizer_config.json"), "{ not json");

        ChatTemplate.FromModelFolder(chatMl).Should().BeEquivalentTo(ChatTemplate.ChatMl);
        ChatTemplate.FromModelFolder(temp.Path).Should().BeNull();
        var bad = () => ChatTemplate.FromModelFolder(broken);
        bad.Should().Throw<InvalidDataException>().WithMessage("*tokenizer_config.json*not valid JSON*");
    }

    [Fact]
    public async Task Bad_options_and_an_overlong_conversation_are_refused_with_the_problem_named()
    {
        using var pipeline = TestModels.TinyPipeline(seed: 2);
        using var chat = pipeline.AsChatClient();

        var negative = () => chat.GetResponseAsync([new(ChatRole.User, "x")], new ChatOptions { Temperature = -1 });
        await negative.Should().ThrowAsync<ArgumentException>().WithMessage("*Temperature*");
        var tooLong = () => chat.GetResponseAsync([new(ChatRole.User, new string('x', 700))]);
        await tooLong.Should().ThrowAsync<ArgumentException>().WithMessage("*context of 512*");
        chat.GetService(typeof(QuietStarPipeline)).Should().BeSameAs(pipeline);
        chat.GetService<ChatClientMetadata>()!.ProviderName.Should().Be("QuietStar.Core");
    }
}
