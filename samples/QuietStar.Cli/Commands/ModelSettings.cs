using System.ComponentModel;
using QuietStar.Cli.Assets;
using QuietStar.Core.Loading;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace QuietStar.Cli.Commands;

/// <summary>Options of every verb that loads a model: <c>--model</c> and <c>--tokenizer</c>.</summary>
internal class ModelSettings : CommonSettings
{
    /// <summary>The model to load; null for the embedded stories260K.</summary>
    [CommandOption("--model <PATH>")]
    [Description("A llama2.c .bin file or a Hugging Face model folder. Default: the embedded stories260K.")]
    public string? Model { get; init; }

    /// <summary>The tokenizer to load; required with a llama2.c file.</summary>
    [CommandOption("--tokenizer <PATH>")]
    [Description("A SentencePiece model file (e.g. tok512.model) or tokenizer folder. Required with a llama2.c --model; default for a folder: its own tokenizer.")]
    public string? Tokenizer { get; init; }

    /// <summary>How diagnostics name the model.</summary>
    public string ModelName => Model ?? EmbeddedModel.Name;

    /// <inheritdoc />
    public override ValidationResult Validate() =>
        Tokenizer is not null && Model is null
            ? ValidationResult.Error("--tokenizer needs --model: the embedded model comes with its own tokenizer.")
            : ValidationResult.Success();

    /// <summary>Loads the chosen model (float32 on the CPU).</summary>
    public PretrainedModel LoadModel() =>
        Model is null
            ? EmbeddedModel.Load(CPU, ScalarType.Float32)
            : PretrainedModel.Load(Model, Tokenizer, CPU, ScalarType.Float32);
}
