using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuietStar.Core;
using QuietStar.Core.Algorithm;
using QuietStar.Core.DependencyInjection;

// The conventional namespace of IServiceCollection extensions: `services.AddQuietStar(...)` needs no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Quiet-STaR in a service collection.</summary>
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
                builder.ApplyThoughtConfiguration(target);
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
}
