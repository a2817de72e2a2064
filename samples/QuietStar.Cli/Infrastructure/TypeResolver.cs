using Microsoft.Extensions.DependencyInjection;
using Spectre.Console.Cli;

namespace QuietStar.Cli.Infrastructure;

/// <summary>Resolves Spectre.Console.Cli's types from the built service provider.</summary>
internal sealed class TypeResolver(ServiceProvider provider) : ITypeResolver, IDisposable
{
    /// <inheritdoc />
    public object? Resolve(Type? type) => type is null ? null : provider.GetService(type);

    /// <inheritdoc />
    public void Dispose() => provider.Dispose();
}
