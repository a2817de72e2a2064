using System.Runtime.InteropServices;
using FluentAssertions;
using TorchSharp;
using Xunit;

namespace QuietStar.Core.Tests.Runtime;

/// <summary>
/// <see cref="QuietStarRuntime.UsePassiveOpenMpWait"/> in a process where torch has loaded (the fresh-process case,
/// where it sets the policy and native <c>getenv</c> sees it, is run by tests/package-consumer/run.sh). These tests
/// change the process environment, so they share the collection that runs alone.
/// </summary>
[Collection(DefaultDeviceCollection.Name)]
public sealed class QuietStarRuntimeTests
{
    [Fact]
    public void After_torch_has_loaded_the_call_refuses_and_says_what_to_do_instead()
    {
        using var _ = torch.zeros(1, device: torch.CPU);  // torch (and its OpenMP runtime) loaded
        using var unset = new UnsetVariable(QuietStarRuntime.WaitPolicyVariable);
        using var unsetSpin = new UnsetVariable(QuietStarRuntime.SpinCountVariable);

        var call = () => QuietStarRuntime.UsePassiveOpenMpWait();

        call.Should().Throw<InvalidOperationException>()
            .WithMessage("*libgomp*had loaded*OMP_WAIT_POLICY would be ignored*first thing in Main*OMP_WAIT_POLICY=PASSIVE GOMP_SPINCOUNT=1000 in the environment*");
        Environment.GetEnvironmentVariable(QuietStarRuntime.WaitPolicyVariable).Should().BeNull("nothing was set");
        Environment.GetEnvironmentVariable(QuietStarRuntime.SpinCountVariable).Should().BeNull("nothing was set");
    }

    [Fact]
    public void A_policy_the_environment_already_chose_is_left_alone()
    {
        using var unset = new UnsetVariable(QuietStarRuntime.WaitPolicyVariable);
        using var unsetSpin = new UnsetVariable(QuietStarRuntime.SpinCountVariable);
        Environment.SetEnvironmentVariable(QuietStarRuntime.WaitPolicyVariable, "ACTIVE");

        QuietStarRuntime.UsePassiveOpenMpWait().Should().BeFalse();

        Environment.GetEnvironmentVariable(QuietStarRuntime.WaitPolicyVariable).Should().Be("ACTIVE");
        Environment.GetEnvironmentVariable(QuietStarRuntime.SpinCountVariable).Should().BeNull("the environment's choice covers the spin too");
    }

    [Fact]
    public void The_variable_reaches_native_getenv_not_only_the_managed_environment()
    {
        const string name = "QUIETSTAR_RUNTIME_TEST_VARIABLE";
        using var unset = new UnsetVariable(name);

        QuietStarRuntime.SetNativeEnvironmentVariable(name, "PASSIVE");

        Marshal.PtrToStringUTF8(NativeGetEnv(name)).Should().Be("PASSIVE");
        Environment.GetEnvironmentVariable(name).Should().Be("PASSIVE");
    }

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr NativeGetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    /// <summary>Removes a variable from the managed environment until disposed, then restores its value.</summary>
    private sealed class UnsetVariable : IDisposable
    {
        private readonly string name;
        private readonly string? previous;

        public UnsetVariable(string name)
        {
            this.name = name;
            previous = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, null);
        }

        public void Dispose() => Environment.SetEnvironmentVariable(name, previous);
    }
}
