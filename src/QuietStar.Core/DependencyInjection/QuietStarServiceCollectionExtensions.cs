using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuietStar.Core;
using QuietStar.Core.Configuration;
using QuietStar.Core.DependencyInjection;

// The conventional namespace of IServiceCollection extensions: `services.AddQuietStar(...)` needs no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Quiet-STaR in a service collection.</summary>
public static class QuietStarServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="QuietStarOptions"/> (reference defaults, then the builder's <c>ConfigureThoughts</c>, then
    /// any other <c>services.Configure&lt;QuietStarOptions&gt;</c>), validated on start with messages naming the option,
    /// and a singleton <see cref="QuietStarPipeline"/> built on first use from <paramref name="configure"/>.
    /// </summary>
    /// <remarks>
    /// For a base model the pipeline uses the resolved options. A Quiet-STaR checkpoint keeps the options it was
    /// trained with plus the builder's <c>ConfigureThoughts</c>.
    /// </remarks>
    public static IServiceCollection AddQuietStar(this IServiceCollection services, Action<QuietStarBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var prototype = QuietStarBuilder.Create();
        configure(prototype);

        services.AddOptions<QuietStarOptions>()
            .Configure(prototype.ApplyThoughtConfiguration)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QuietStarOptions>, QuietStarOptionsValidator>());
        services.TryAddSingleton(provider =>
        {
            var builder = QuietStarBuilder.Create();
            configure(builder);
            if (provider.GetService<ILoggerFactory>() is { } loggerFactory)
            {
                builder.UseLoggerFactory(loggerFactory);
            }

            return builder.BuildForHost(provider.GetRequiredService<IOptions<QuietStarOptions>>().Value);
        });
        return services;
    }
}
