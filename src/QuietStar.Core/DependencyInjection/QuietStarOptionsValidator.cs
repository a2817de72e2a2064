using Microsoft.Extensions.Options;
using QuietStar.Core.Algorithm;

namespace QuietStar.Core.DependencyInjection;

/// <summary>Validates <see cref="QuietStarOptions"/> through <see cref="QuietStarOptions.Validate"/>, so a host fails at start with the option's name.</summary>
internal sealed class QuietStarOptionsValidator : IValidateOptions<QuietStarOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, QuietStarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
