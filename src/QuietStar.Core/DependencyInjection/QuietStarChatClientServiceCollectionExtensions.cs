using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using QuietStar.Core;
using QuietStar.Core.Inference;

// The conventional namespace of IServiceCollection extensions.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Quiet-STaR pipeline as a Microsoft.Extensions.AI <see cref="IChatClient"/>.</summary>
public static class QuietStarChatClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="IChatClient"/> (a <see cref="QuietStarChatClient"/>) over the container's
    /// <see cref="QuietStarPipeline"/>, which <c>AddQuietStar(...)</c> registers; so apps and Semantic Kernel resolve
    /// <c>IChatClient</c> as for any other model. Requests are serialised by the pipeline.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="template">The chat format; the model folder's recognised template, else <see cref="ChatTemplate.Plain"/>, when null.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="InvalidOperationException">At resolution: no <see cref="QuietStarPipeline"/> is registered (call <c>AddQuietStar</c>).</exception>
    public static IServiceCollection AddQuietStarChatClient(this IServiceCollection services, ChatTemplate? template = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IChatClient>(provider => new QuietStarChatClient(
            provider.GetService<QuietStarPipeline>() ?? throw new InvalidOperationException(
                "AddQuietStarChatClient needs a QuietStarPipeline in the container: call services.AddQuietStar(b => b.UseModel(...)) too."),
            template));
        return services;
    }
}
