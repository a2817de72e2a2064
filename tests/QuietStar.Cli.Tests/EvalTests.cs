using FluentAssertions;
using Xunit;

namespace QuietStar.Cli.Tests;

/// <summary><c>quietstar eval</c> end to end on the tiny trained checkpoint.</summary>
[Collection(TinyRunCollection.Name)]
public sealed class EvalTests(TinyRun tiny)
{
    [Fact]
    public void Text_NLL_of_the_checkpoint_with_its_thoughts()
    {
        var run = CliRun.Of("eval", "--model", tiny.Checkpoint, "--task", "text", "--data", tiny.DataPath, "--seq-len", "32", "--batch", "4", "--limit", "256");

        run.ExitCode.Should().Be(0, run.ToString());
        run.JsonKeys.Should().Contain(["task", "n_tokens", "base_nll", "talk_nll", "base_nll_hard", "talk_nll_hard", "mean_mixing_weight", "config", "seconds", "runtime"]);
        run.Json.GetProperty("task").GetString().Should().Be("text");
        run.Json.GetProperty("talk_nll").GetDouble().Should().BePositive();
    }

    [Fact]
    public void GSM8K_exact_match_on_two_problems()
    {
        var run = CliRun.Of("eval", "--model", tiny.Checkpoint, "--task", "gsm8k", "--exact-match", "--limit", "2", "--max-tokens", "4");

        run.ExitCode.Should().Be(0, run.ToString());
        run.JsonKeys.Should().Contain(["task", "n", "exact_match", "correct", "interval_95", "examples", "config"]);
        run.Json.GetProperty("n").GetInt32().Should().Be(2);
    }

    [Fact]
    public void Takes_the_run_folder_train_wrote_as_model()
    {
        // Before: "error: Model configuration '…/run/config.json' does not exist."
        var run = CliRun.Of("eval", "--model", tiny.RunFolder, "--task", "text", "--data", tiny.DataPath, "--seq-len", "32", "--limit", "64");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Json.GetProperty("config").GetProperty("thoughts_from").GetString().Should().Be("checkpoint");
    }

    [Fact]
    public void Takes_a_run_folder_as_baseline()
    {
        // Before: the run folder was loaded as a plain Hugging Face folder: "Model configuration '…/run/config.json' does not exist."
        var run = CliRun.Of("eval", "--model", tiny.Checkpoint, "--task", "text", "--data", tiny.DataPath, "--seq-len", "32", "--limit", "64", "--baseline", tiny.RunFolder);

        run.ExitCode.Should().Be(0, run.ToString());
        run.JsonKeys.Should().Contain("vs_baseline");
    }

    [Fact]
    public void An_unknown_task_is_an_error_naming_task()
    {
        var run = CliRun.Of("eval", "--model", tiny.Checkpoint, "--task", "foo");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Contain("--task 'foo' is unknown");
    }

    [Fact]
    public void A_window_longer_than_the_context_is_an_error_naming_seq_len()
    {
        var run = CliRun.Of("eval", "--model", tiny.Checkpoint, "--task", "text", "--data", tiny.DataPath, "--seq-len", "5000");

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Contain("--seq-len");
    }
}
