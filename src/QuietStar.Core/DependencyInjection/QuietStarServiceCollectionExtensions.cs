using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuietStar.Core;
using QuietStar.Core.Algorithm;
using QuietStar.Core.DependencyInjection;
using QuietStar.Core.Inference;

// The conventional namespace of IServiceCollection extensions: `services.AddQuietStar(...)` needs no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Quiet-STaR in a service collection: the pipeline (<c>AddQuietStar</c>) and, over it, an <see cref="IChatClient"/> (<c>AddQuietStarChatClient</c>).</summary>
public static class QuietStarServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="QuietStarOptions"/> (the builder's starting options, then its <c>ConfigureOptions</c>, then
    /// any other <c>services.Configure&lt;QuietStarOptions&gt;</c>), validated on start with messages naming the option,
    /// and a singleton <see cref="QuietStarPipeline"/> built on first use. <paramref name="configure"/> runs once, here.
    /// </summary>
    /// <remarks>
    /// The starting options are those of <c>UseOptions</c>, else, for a Quiet-STaR checkpoint, those it was trained
    /// with (read from its <c>quietstar.json</c> when the options are resolved), else the reference's. The pipeline
    /// uses the resolved options, so <c>pipeline.Options</c> equals <c>IOptions&lt;QuietStarOptions&gt;.Value</c>.
    /// </remarks>
    public static IServiceCollection AddQuietStar(this IServiceCollection services, Action<QuietStarBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = QuietStarBuilder.Create();
        configure(builder);  // once: the options and the pipeline come from the same builder

        services.AddOptions<QuietStarOptions>()
            .Configure(target =>
            {
                builder.ApplyStartingOptions(target);
                builder.ApplyOptionsConfiguration(target);
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QuietStarOptions>, QuietStarOptionsValidator>());
        services.TryAddSingleton(provider =>
        {
            if (provider.GetService<ILoggerFactory>() is { } loggerFactory)
            {
                builder.UseLoggerFactory(loggerFactory);
            }

            return builder.BuildForHost(provider.GetRequiredService<IOptions<QuietStarOptions>>().Value);
        });
        return services;
    }

    /// <summary>
    /// Registers a singleton <see cref="IChatClient"/> over the container's <see cref="QuietStarPipeline"/>, which
    /// <c>AddQuietStar(...)</c> registers: the client <see cref="QuietStarPipeline.AsChatClient"/> returns, so apps and
    /// Semantic Kernel resolve <c>IChatClient</c> as for any other model. Requests are serialised by the pipeline.
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
