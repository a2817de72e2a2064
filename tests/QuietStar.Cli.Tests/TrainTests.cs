using QuietStar.Core.Training;
using FluentAssertions;
using Xunit;

namespace QuietStar.Cli.Tests;

/// <summary><c>quietstar train</c> end to end on a tiny model created by <c>--init</c>.</summary>
[Collection(TinyRunCollection.Name)]
public sealed class TrainTests(TinyRun tiny)
{
    [Fact]
    public void Train_with_thoughts_writes_a_checkpoint_and_one_JSON_line()
    {
        var run = tiny.Train;

        run.ExitCode.Should().Be(0, run.ToString());
        run.JsonKeys.Should().Contain(["steps", "final", "checkpoint", "config", "curves"]);
        run.Json.GetProperty("steps").GetInt32().Should().Be(2);
        run.Json.GetProperty("config").GetProperty("no_thoughts").GetBoolean().Should().BeFalse();
        run.Json.GetProperty("config").GetProperty("thought_tokens").GetInt32().Should().Be(2);
        run.Json.GetProperty("checkpoint").GetString().Should().Be(tiny.Checkpoint);
        File.Exists(Path.Combine(tiny.Checkpoint, "quietstar.json")).Should().BeTrue();
        File.Exists(Path.Combine(tiny.RunFolder, "training_curves.svg")).Should().BeTrue();
    }

    [Fact]
    public void Train_without_thoughts_also_writes_the_plain_model()
    {
        string runFolder = tiny.NewPath("plain");

        var run = CliRun.Of([.. tiny.TrainArguments(runFolder), "--no-thoughts"]);

        run.ExitCode.Should().Be(0, run.ToString());
        run.JsonKeys.Should().Contain(["steps", "final", "checkpoint", "config", "base_model"]);
        run.Json.GetProperty("config").GetProperty("no_thoughts").GetBoolean().Should().BeTrue();
        run.Json.GetProperty("base_model").GetString().Should().Be(Path.Combine(runFolder, "model"));
        File.Exists(Path.Combine(runFolder, "model", "config.json")).Should().BeTrue();
    }

    [Fact]
    public void A_new_run_starts_from_the_run_folder_train_wrote()
    {
        // Before: "Model configuration '…/run/config.json' does not exist."
        string runFolder = tiny.NewPath("again");

        var run = CliRun.Of("train", "--model", tiny.RunFolder, "--data", tiny.DataPath, "--steps", "1", "--seq-len", "16", "--batch", "2", "--eval-every", "0", "--out", runFolder);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Json.GetProperty("config").GetProperty("thought_tokens").GetInt32().Should().Be(2, "the checkpoint's thoughts are kept");
        File.Exists(Path.Combine(runFolder, "checkpoint", "quietstar.json")).Should().BeTrue();
    }

    [Fact]
    public void A_resume_on_other_data_than_the_run_trained_on_is_refused_and_on_the_same_data_continues()
    {
        // Before: an arithmetic run resumed without --preset arithmetic continued silently on the embedded GSM8K text.
        string first = tiny.NewPath("resume-data");
        var trained = CliRun.Of("train", "--model", tiny.RunFolder, "--data", tiny.DataPath, "--steps", "1", "--seq-len", "16", "--batch", "2",
            "--eval-every", "0", "--out", first);
        trained.ExitCode.Should().Be(0, trained.ToString());

        var other = CliRun.Of("train", "--resume", first, "--steps", "2", "--out", tiny.NewPath("resume-other"));
        var same = CliRun.Of("train", "--resume", first, "--data", tiny.DataPath, "--steps", "2", "--threads", "1", "--out", tiny.NewPath("resume-same"));

        other.ExitCode.Should().Be(2, other.ToString());
        other.Stderr.Should().Contain("--resume").And.Contain(Path.GetFileName(tiny.DataPath)).And.Contain("gsm8k_train.txt");
        same.ExitCode.Should().Be(0, same.ToString());
        same.Json.GetProperty("start_step").GetInt32().Should().Be(1);
        same.Json.GetProperty("runtime").GetProperty("threads_chosen_by").GetString().Should().Be("--threads", "a resumed run applies the thread policy too");
    }

    [Fact]
    public void A_sequence_longer_than_the_context_is_an_error_naming_seq_len()
    {
        // Before: "TrainingOptions.SequenceLength 5000 plus 5 thought/talk positions exceeds the model's context of 1024; …".
        var run = CliRun.Of([.. tiny.TrainArguments(tiny.NewPath("long")), "--seq-len", "5000"]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Contain("--seq-len 5000").And.Contain("context of 1024").And.NotContain("TrainingOptions");
    }

    [Theory]
    [InlineData("--steps", "0")]
    [InlineData("--batch", "0")]
    [InlineData("--lr", "0")]
    [InlineData("--seq-len", "1")]
    [InlineData("--passes", "1")]
    [InlineData("--thought-tokens", "0")]
    [InlineData("--lm-steps", "99")]
    [InlineData("--preset", "huge")]
    [InlineData("--mixed-precision", "fp8")]
    public void A_bad_value_is_an_error_naming_the_flag(string flag, string value)
    {
        var run = CliRun.Of([.. tiny.TrainArguments(tiny.NewPath("bad")), flag, value]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Errors.Should().Contain($"{flag} ").And.NotContain("TrainingOptions");
        run.Stdout.Should().BeEmpty();
    }

    [Fact]
    public void Mixed_precision_bf16_trains_and_is_recorded_and_needs_float32()
    {
        var run = CliRun.Of([.. tiny.TrainArguments(tiny.NewPath("mixed")), "--mixed-precision", "bf16"]);
        var refused = CliRun.Of([.. tiny.TrainArguments(tiny.NewPath("mixed-bf16")), "--mixed-precision", "bf16", "--dtype", "bfloat16"]);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Json.GetProperty("config").GetProperty("mixed_precision").GetString().Should().Be("bf16");
        run.Json.GetProperty("config").GetProperty("dtype").GetString().Should().Be("float32", "the checkpoint holds the float32 masters");
        refused.ExitCode.Should().Be(2, refused.ToString());
        refused.Errors.Should().Contain("--mixed-precision bf16").And.Contain("--dtype float32");
    }
}
