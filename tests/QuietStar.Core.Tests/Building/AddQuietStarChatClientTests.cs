using FluentAssertions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using QuietStar.Core.Inference;
using QuietStar.Core.Testing;
using Xunit;

namespace QuietStar.Core.Tests.Building;

/// <summary><c>services.AddQuietStar(...).AddQuietStarChatClient()</c>: the container serves an <see cref="IChatClient"/>.</summary>
public sealed class AddQuietStarChatClientTests
{
    [Fact]
    public async Task The_container_resolves_a_chat_client_over_its_pipeline_that_streams_thoughts()
    {
        var services = new ServiceCollection();
        services.AddQuietStar(b => b.UseModel(TestModels.Tiny(seed: 3)).UseOptions(TestModels.TinyThoughts))
            .AddQuietStarChatClient(ChatTemplate.QuestionAnswer);
        using var provider = services.BuildServiceProvider();

        var chat = provider.GetRequiredService<IChatClient>();
        var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "1 + 1?")], new ChatOptions { Temperature = 0, MaxOutputTokens = 3 });

        chat.GetService<QuietStarPipeline>().Should().BeSameAs(provider.GetRequiredService<QuietStarPipeline>());
        chat.GetService<ChatTemplate>().Should().BeEquivalentTo(ChatTemplate.QuestionAnswer);
        response.Messages.Single().Contents.OfType<TextReasoningContent>().Should().NotBeEmpty();
    }

    [Fact]
    public void Without_a_pipeline_the_message_says_to_call_AddQuietStar()
    {
        using var provider = new ServiceCollection().AddQuietStarChatClient().BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<IChatClient>();
        resolve.Should().Throw<InvalidOperationException>().WithMessage("*AddQuietStar*");
    }
}
