namespace QuietStar.Core.Common;

/// <summary>The one rule every options class validates with: a broken requirement names the option and the problem.</summary>
internal static class OptionCheck
{
    /// <summary>Throws an <see cref="ArgumentException"/> "<c>TOptions.option problem</c>" unless <paramref name="ok"/>.</summary>
    /// <typeparam name="TOptions">The options class, named in the message.</typeparam>
    public static void Require<TOptions>(bool ok, string option, string problem)
    {
        if (!ok)
        {
            throw new ArgumentException($"{typeof(TOptions).Name}.{option} {problem}", option);
        }
    }
}
