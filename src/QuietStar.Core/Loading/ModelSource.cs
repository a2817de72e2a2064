using QuietStar.Core.Algorithm;
using QuietStar.Core.Training;
using static TorchSharp.torch;

namespace QuietStar.Core.Loading;

/// <summary>
/// Where a <c>QuietStarBuilder</c> gets its model: a base model to equip for Quiet-STaR (llama2.c file,
/// Hugging Face folder, streams) or a Quiet-STaR checkpoint whose trained thought embeddings and mixing head are
/// restored as they are. Nothing is read until the builder builds.
/// </summary>
public sealed partial class ModelSource
{
    private readonly Func<Device, ScalarType, MixingHeadFactory?, LoadedModelSource> load;

    private ModelSource(string description, Func<Device, ScalarType, MixingHeadFactory?, LoadedModelSource> load, string? checkpointFolder = null)
    {
        Description = description;
        this.load = load;
        CheckpointFolder = checkpointFolder;
    }

    /// <summary>A human-readable name of the source, for logs.</summary>
    public string Description { get; }

    /// <summary>Whether the source is a Quiet-STaR checkpoint (already equipped, with trained options).</summary>
    public bool IsCheckpoint => CheckpointFolder is not null;

    /// <summary>The Quiet-STaR checkpoint folder, or null for a base model.</summary>
    internal string? CheckpointFolder { get; }

    /// <summary>A llama2.c checkpoint (<c>.bin</c>) and its SentencePiece tokenizer.</summary>
    public static ModelSource Llama2c(string checkpointPath, string tokenizerPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        ArgumentException.ThrowIfNullOrEmpty(tokenizerPath);
        return new ModelSource(checkpointPath, (device, dtype, _) =>
            LoadedModelSource.Base(PretrainedModel.FromLlama2c(checkpointPath, tokenizerPath, device, dtype)));
    }

    /// <summary>A llama2.c checkpoint and tokenizer from streams (e.g. embedded resources), opened at build time.</summary>
    public static ModelSource Llama2c(Func<Stream> openCheckpoint, Func<Stream> openTokenizer, string name)
    {
        ArgumentNullException.ThrowIfNull(openCheckpoint);
        ArgumentNullException.ThrowIfNull(openTokenizer);
        return new ModelSource(name, (device, dtype, _) =>
        {
            using var checkpoint = openCheckpoint();
            using var tokenizer = openTokenizer();
            return LoadedModelSource.Base(PretrainedModel.FromLlama2c(checkpoint, tokenizer, device, dtype, name));
        });
    }

    /// <summary>A Hugging Face model folder (<c>config.json</c>, safetensors, tokenizer files).</summary>
    public static ModelSource HuggingFace(string folder, string? tokenizerPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        return new ModelSource(folder, (device, dtype, _) =>
            LoadedModelSource.Base(PretrainedModel.FromHuggingFaceFolder(folder, device, dtype, tokenizerPath)));
    }

    /// <summary>A Quiet-STaR checkpoint folder written by <c>QuietStarPipeline.Save</c> or a trainer.</summary>
    public static ModelSource Checkpoint(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        return new ModelSource(folder, (device, dtype, mixingHead) => LoadedModelSource.Equipped(QuietStarCheckpoint.LoadWithHead(folder, device, dtype, mixingHead)),
            checkpointFolder: folder);
    }

    /// <summary>
    /// Chooses by what is at <paramref name="path"/>: a folder with <c>quietstar.json</c> is a Quiet-STaR checkpoint,
    /// any other folder a Hugging Face model, a file a llama2.c checkpoint (which needs <paramref name="tokenizerPath"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="ArgumentException">A llama2.c file is given without a tokenizer.</exception>
    public static ModelSource FromPath(string path, string? tokenizerPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            return File.Exists(Path.Combine(path, QuietStarCheckpoint.ManifestFileName)) ? Checkpoint(path) : HuggingFace(path, tokenizerPath);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No model file or folder at '{path}'.", path);
        }

        return Llama2c(path, tokenizerPath ?? throw new ArgumentException(
            $"'{path}' is a llama2.c file; give its tokenizer (a SentencePiece .model file) too.", nameof(tokenizerPath)));
    }

    /// <summary>
    /// Reads the source onto <paramref name="device"/> in <paramref name="dtype"/>; a checkpoint saved with a custom
    /// mixing head rebuilds it with <paramref name="mixingHead"/> (ignored by base models).
    /// </summary>
    internal LoadedModelSource Load(Device device, ScalarType dtype, MixingHeadFactory? mixingHead = null) => load(device, dtype, mixingHead);
}
