using System.ComponentModel;
using QuietStar.Cli.Assets;
using QuietStar.Cli.Commands.Train;
using Microsoft.Extensions.Logging;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Loading;
using QuietStar.Core.Model;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace QuietStar.Cli.Commands;

/// <summary>Options of every verb that loads a model: <c>--model</c> and <c>--tokenizer</c>.</summary>
internal class ModelSettings : CommonSettings
{
    /// <summary>The model to load; null for the embedded stories260K.</summary>
    [CommandOption("--model <PATH>")]
    [Description("A llama2.c .bin file, a Hugging Face model folder, a Quiet-STaR checkpoint folder (one with quietstar.json), or a train run folder (its checkpoint/ is loaded). Default: the embedded stories260K.")]
    public string? Model { get; init; }

    /// <summary>The tokenizer to load; required with a llama2.c file.</summary>
    [CommandOption("--tokenizer <PATH>")]
    [Description("A SentencePiece model file (e.g. tok512.model) or tokenizer folder. Required with a llama2.c --model; default for a folder: its own tokenizer.")]
    public string? Tokenizer { get; init; }

    /// <summary>Where the model runs (<see cref="TorchTarget.DeviceValues"/>).</summary>
    [CommandOption("--device <DEVICE>")]
    [Description("Where the model runs: cpu, cuda or cuda:N (cuda needs a CUDA backend and a GPU; this build ships the CPU backend). Default: cpu.")]
    public string DeviceName { get; init; } = "cpu";

    /// <summary>The parameters' dtype (<see cref="TorchTarget.DTypeValues"/>).</summary>
    [CommandOption("--dtype <DTYPE>")]
    [Description("Parameter dtype: float32, bfloat16 or float16 (16-bit models compute norms, softmax and losses in float32). Default: float32.")]
    public string DTypeName { get; init; } = "float32";

    /// <summary>The device of <see cref="DeviceName"/>, checked against the loaded backend.</summary>
    public Device TargetDevice => TorchTarget.Device(DeviceName);

    /// <summary>The dtype of <see cref="DTypeName"/>.</summary>
    public ScalarType TargetDType => TorchTarget.DType(DTypeName);

    /// <summary>How diagnostics name the model.</summary>
    public string ModelName => Model ?? EmbeddedModel.Name;

    /// <summary>
    /// The file or folder to load: <see cref="Model"/>, or for a <c>train</c> run folder (one holding
    /// <c>checkpoint/quietstar.json</c> and no model of its own) its checkpoint; null for the embedded model.
    /// </summary>
    public string? ModelPath => Model is null ? null : ResolveRunFolder(Model);

    /// <summary>Whether <see cref="Model"/> names a Quiet-STaR checkpoint folder (one holding <c>quietstar.json</c>), or a run folder holding one.</summary>
    public bool ModelIsCheckpoint => ModelPath is { } path && IsCheckpoint(path);

    /// <summary>
    /// <paramref name="path"/> itself, or its <c>checkpoint/</c> subfolder when <paramref name="path"/> is a
    /// <c>train --out</c> run folder: a folder that is neither a checkpoint nor a Hugging Face model but holds a checkpoint.
    /// </summary>
    public static string ResolveRunFolder(string path)
    {
        string checkpoint = Path.Combine(path, TrainCommand.CheckpointFolderName);
        return Directory.Exists(path) && !IsCheckpoint(path) && !File.Exists(Path.Combine(path, "config.json")) && IsCheckpoint(checkpoint)
            ? checkpoint
            : path;
    }

    /// <summary>Whether <paramref name="folder"/> is a Quiet-STaR checkpoint (it holds the manifest).</summary>
    protected static bool IsCheckpoint(string folder) => Directory.Exists(folder) && ModelSource.FromPath(folder).IsCheckpoint;

    /// <summary>Sets torch's thread count for this verb's work on a model of <paramref name="config"/> (<see cref="ThreadPolicy"/>).</summary>
    public void ApplyThreadPolicy(TransformerConfig config) => ThreadPolicy.Apply(Threads, config, TokensPerForwardCall);

    /// <summary>Tokens per forward call of the verb's main work, for <see cref="ThreadPolicy"/>: 1 for decoding one row.</summary>
    protected virtual long TokensPerForwardCall => 1;

    /// <inheritdoc />
    public override ValidationResult Validate() => Tokenizer switch
    {
        _ when TorchTarget.DeviceError(DeviceName) is { } device => ValidationResult.Error(device),
        _ when TorchTarget.DTypeError(DTypeName) is { } dtype => ValidationResult.Error(dtype),
        not null when Model is null => ValidationResult.Error("--tokenizer needs --model: the embedded model comes with its own tokenizer."),
        not null when ModelIsCheckpoint => ValidationResult.Error($"--tokenizer cannot be combined with a Quiet-STaR checkpoint: '{ModelPath}' holds its own tokenizer."),
        _ => base.Validate(),
    };

    /// <summary>
    /// Loads the chosen model on <c>--device</c> in <c>--dtype</c> (float32 on the CPU by default). A Quiet-STaR checkpoint is loaded with its trained thought
    /// embeddings and mixing head; its own tokenizer is used.
    /// </summary>
    /// <param name="logger">Where trainers of a checkpoint's pipeline log (a plain model gets it when equipped).</param>
    public LoadedModel LoadModel(ILoggerFactory? logger = null)
    {
        var loaded = ModelIsCheckpoint
            ? LoadedModel.Checkpoint(ModelPath!, TargetDevice, TargetDType, logger)
            : LoadedModel.Plain(Model is null
                ? EmbeddedModel.Load(TargetDevice, TargetDType)
                : PretrainedModel.Load(ModelPath!, Tokenizer, TargetDevice, TargetDType));
        ApplyThreadPolicy(loaded.Config);
        return loaded;
    }
}
