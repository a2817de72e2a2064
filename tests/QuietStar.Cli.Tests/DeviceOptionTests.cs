using FluentAssertions;
using Xunit;

namespace QuietStar.Cli.Tests;

/// <summary><c>--device</c> and <c>--dtype</c> on the verbs that load a model.</summary>
[Collection(TinyRunCollection.Name)]
public sealed class DeviceOptionTests(TinyRun tiny)
{
    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    public void Cuda_without_a_CUDA_backend_is_a_clear_error(string device)
    {
        var run = CliRun.Of("generate", "--model", tiny.Checkpoint, "--prompt", "the cat", "--greedy", "--max-tokens", "2", "--device", device);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Stderr.Should().Contain($"--device {device}: CUDA is not available").And.Contain("--device cpu");
    }

    [Theory]
    [InlineData("--device", "gpu", "--device 'gpu' is not a device: use cpu, cuda or cuda:N.")]
    [InlineData("--device", "cuda:-1", "--device 'cuda:-1' is not a device")]
    [InlineData("--dtype", "int8", "--dtype 'int8' is not a supported dtype: use float32, bfloat16 or float16.")]
    public void A_bad_value_is_an_error_naming_the_flag_and_the_accepted_values(string flag, string value, string message)
    {
        var run = CliRun.Of("generate", "--model", tiny.Checkpoint, "--prompt", "the cat", flag, value);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Stderr.Should().Contain(message);
    }

    [Theory]
    [InlineData("bfloat16")]
    [InlineData("float16")]
    public void A_checkpoint_generates_in_a_16_bit_dtype_on_the_cpu(string dtype)
    {
        var run = CliRun.Of("generate", "--model", tiny.Checkpoint, "--prompt", "the cat", "--greedy", "--max-tokens", "3", "--seed", "1",
            "--device", "cpu", "--dtype", dtype);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Stderr.Should().MatchRegex(@"[0-3] tokens in ");
    }
}
