using System.Runtime.InteropServices;

namespace QuietStar.Cli.Infrastructure;

/// <summary>
/// Sets environment variables that native libraries read with <c>getenv</c>. On Linux,
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> only changes .NET's own copy of the environment,
/// so the variable is also set with libc's <c>setenv</c>.
/// </summary>
internal static class NativeEnvironment
{
    /// <summary>Sets <paramref name="name"/> to <paramref name="value"/> unless it is already set; call before the native library loads.</summary>
    public static void SetIfUnset(string name, string value)
    {
        if (Environment.GetEnvironmentVariable(name) is not null)
        {
            return;
        }

        Environment.SetEnvironmentVariable(name, value);
        if (OperatingSystem.IsLinux() && SetEnv(name, value, overwrite: 0) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed with error {Marshal.GetLastPInvokeError()}.");
        }
    }

    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    private static extern int SetEnv(
        [MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
