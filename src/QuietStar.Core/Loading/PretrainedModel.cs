using QuietStar.Core.Checkpoints;
using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;
using static TorchSharp.torch;

namespace QuietStar.Core.Loading;

/// <summary>
/// A pretrained causal language model together with its tokenizer, loaded from a llama2.c checkpoint or a Hugging Face
/// folder onto an explicit device in an explicit dtype, and saved as a Hugging Face folder. Loading checks that the
/// weights match the configuration and that the tokenizer fits the model's vocabulary; every failure names the file
/// and the problem. Disposing releases the model's parameters.
/// </summary>
public sealed class PretrainedModel : IDisposable
{
    private static readonly ScalarType[] SupportedDtypes =
        [ScalarType.Float32, ScalarType.Float64, ScalarType.Float16, ScalarType.BFloat16];

    private PretrainedModel(CausalLanguageModel model, TextTokenizer tokenizer)
    {
        Model = model;
        Tokenizer = tokenizer;
    }

    /// <summary>The model, in evaluation mode, on the device and in the dtype it was loaded with.</summary>
    public CausalLanguageModel Model { get; }

    /// <summary>The tokenizer; its base vocabulary fits the model's.</summary>
    public TextTokenizer Tokenizer { get; }

    /// <summary>
    /// Loads <paramref name="modelPath"/>: a folder is read as a Hugging Face model (<see cref="FromHuggingFaceFolder"/>),
    /// a file as a llama2.c checkpoint (<see cref="FromLlama2c(string, string, Device, ScalarType)"/>).
    /// </summary>
    /// <param name="modelPath">A llama2.c <c>.bin</c> file or a Hugging Face model folder.</param>
    /// <param name="tokenizerPath">
    /// A SentencePiece model file or a tokenizer folder. Required for a llama2.c checkpoint; for a Hugging Face folder,
    /// null means the tokenizer saved in the folder.
    /// </param>
    /// <param name="device">Device for the parameters.</param>
    /// <param name="dtype">Parameter dtype: Float32, Float64, Float16 or BFloat16.</param>
    /// <exception cref="FileNotFoundException">The model path, or a file it needs, does not exist.</exception>
    /// <exception cref="ArgumentException">The dtype is unsupported, the path names a single file of a Hugging Face model, or a llama2.c checkpoint comes without a tokenizer.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or the weights do not match the configuration; the message names the file and tensor.</exception>
    /// <exception cref="NotSupportedException">The configuration's <c>model_type</c> or a feature it uses is not supported.</exception>
    /// <exception cref="InvalidOperationException">The tokenizer has more tokens than the model's vocabulary.</exception>
    public static PretrainedModel Load(string modelPath, string? tokenizerPath, Device device, ScalarType dtype)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (Directory.Exists(modelPath))
        {
            return FromHuggingFaceFolder(modelPath, device, dtype, tokenizerPath);
        }

        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException(
                $"Model '{modelPath}' does not exist. Pass a llama2.c checkpoint (.bin) or a Hugging Face model folder (config.json + model.safetensors).",
                modelPath);
        }

        if (Path.GetExtension(modelPath) is ".safetensors" or ".json")
        {
            throw new ArgumentException(
                $"'{modelPath}' is one file of a Hugging Face model; pass the folder that holds it ('{Path.GetDirectoryName(Path.GetFullPath(modelPath))}').",
                nameof(modelPath));
        }

        return FromLlama2c(
            modelPath,
            tokenizerPath ?? throw new ArgumentException(
                $"'{modelPath}' is a llama2.c checkpoint, which holds no tokenizer: pass its SentencePiece model (for example tok512.model) as the tokenizer.",
                nameof(tokenizerPath)),
            device,
            dtype);
    }

    /// <summary>Loads a llama2.c checkpoint (legacy version 0 <c>.bin</c>) and its tokenizer.</summary>
    /// <param name="checkpointPath">The <c>.bin</c> file.</param>
    /// <param name="tokenizerPath">A SentencePiece model file (such as <c>tok512.model</c>) or a tokenizer folder.</param>
    /// <param name="device">Device for the parameters.</param>
    /// <param name="dtype">Parameter dtype: Float32, Float64, Float16 or BFloat16.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">The checkpoint's header or size is wrong, or the tokenizer file is malformed.</exception>
    /// <exception cref="InvalidOperationException">The tokenizer has more tokens than the model's vocabulary.</exception>
    public static PretrainedModel FromLlama2c(string checkpointPath, string tokenizerPath, Device device, ScalarType dtype)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        ArgumentException.ThrowIfNullOrEmpty(tokenizerPath);
        CheckTarget(device, dtype);
        var tokenizer = LoadTokenizer(tokenizerPath);
        var (config, weights) = Llama2cCheckpoint.Read(checkpointPath);
        return Build(config, weights, tokenizer, device, dtype);
    }

    /// <summary>Loads a llama2.c checkpoint and a SentencePiece model from streams (for example embedded resources).</summary>
    /// <param name="checkpoint">The checkpoint bytes; must support seeking.</param>
    /// <param name="sentencePieceModel">The SentencePiece <c>ModelProto</c> bytes; read to its end and left open.</param>
    /// <param name="device">Device for the parameters.</param>
    /// <param name="dtype">Parameter dtype: Float32, Float64, Float16 or BFloat16.</param>
    /// <param name="checkpointName">Name of the checkpoint in error messages.</param>
    /// <exception cref="InvalidDataException">The checkpoint's header or size is wrong, or the tokenizer is malformed.</exception>
    /// <exception cref="InvalidOperationException">The tokenizer has more tokens than the model's vocabulary.</exception>
    public static PretrainedModel FromLlama2c(Stream checkpoint, Stream sentencePieceModel, Device device, ScalarType dtype, string? checkpointName = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(sentencePieceModel);
        CheckTarget(device, dtype);
        var tokenizer = TextTokenizer.FromSentencePiece(sentencePieceModel);
        var (config, weights) = Llama2cCheckpoint.Read(checkpoint, checkpointName);
        return Build(config, weights, tokenizer, device, dtype);
    }

    /// <summary>
    /// Loads a Hugging Face model folder: <c>config.json</c>, <c>model.safetensors</c> or the shards listed in
    /// <c>model.safetensors.index.json</c> (F32, F16 or BF16), and the tokenizer (<c>tokenizer.model</c>, or
    /// <c>vocab.json</c> + <c>merges.txt</c>).
    /// </summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="device">Device for the parameters.</param>
    /// <param name="dtype">Parameter dtype: Float32, Float64, Float16 or BFloat16.</param>
    /// <param name="tokenizerPath">A SentencePiece model file or tokenizer folder to use instead of the folder's own tokenizer.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException"><c>config.json</c>, the weights or the tokenizer are missing; the message says what was looked for.</exception>
    /// <exception cref="NotSupportedException">The <c>model_type</c> or a feature it uses is not supported.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or the weights do not match <c>config.json</c>; the message names the folder and each tensor.</exception>
    /// <exception cref="InvalidOperationException">The tokenizer has more tokens than the model's vocabulary.</exception>
    public static PretrainedModel FromHuggingFaceFolder(string folder, Device device, ScalarType dtype, string? tokenizerPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        CheckTarget(device, dtype);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Model folder '{folder}' does not exist.");
        }

        var config = HuggingFaceConfig.Read(Path.Combine(folder, HuggingFaceConfig.FileName));
        var tokenizer = tokenizerPath is null ? TextTokenizer.FromFolder(folder) : LoadTokenizer(tokenizerPath);
        tokenizer.EnsureFits(config.VocabSize); // before reading what may be gigabytes of weights
        var weights = SafetensorsWeights.Read(folder, StorageDtype(dtype));
        try
        {
            SafetensorsWeights.ValidateAgainst(config, weights);
        }
        catch (InvalidDataException e)
        {
            Dispose(weights);
            throw new InvalidDataException($"'{folder}': {e.Message}\nThe weights and config.json must come from the same model.", e);
        }

        return Build(config, weights, tokenizer, device, dtype);
    }

    /// <summary>Reads a model configuration from a Hugging Face <c>config.json</c> (Llama, Mistral, Qwen2), e.g. to <see cref="CreateRandom"/> a model of its shapes.</summary>
    /// <param name="configJsonPath">The <c>config.json</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NotSupportedException">The <c>model_type</c> or a feature is not supported; the message names it.</exception>
    /// <exception cref="InvalidDataException">The file is not JSON, or a key is missing, mistyped or inconsistent; the message names it.</exception>
    public static TransformerConfig ReadConfig(string configJsonPath) => HuggingFaceConfig.Read(configJsonPath);

    /// <summary>
    /// A fresh model of <paramref name="config"/>'s shapes with random weights, drawn as Hugging Face initialises a new
    /// model (Normal(0, 0.02), norms 1, biases 0) from <paramref name="seed"/>: the start of pretraining from scratch,
    /// and a tiny model for tests.
    /// </summary>
    /// <param name="config">The shapes (e.g. from <see cref="ReadConfig"/>).</param>
    /// <param name="tokenizer">The tokenizer; it must fit the configuration's vocabulary.</param>
    /// <param name="device">Device for the parameters.</param>
    /// <param name="dtype">Parameter dtype: Float32, Float64, Float16 or BFloat16.</param>
    /// <param name="seed">Seed of the weights: the same seed gives the same model.</param>
    /// <exception cref="ArgumentException">The configuration is invalid or the dtype unsupported.</exception>
    /// <exception cref="InvalidOperationException">The tokenizer has more tokens than the configuration's vocabulary.</exception>
    public static PretrainedModel CreateRandom(TransformerConfig config, TextTokenizer tokenizer, Device device, ScalarType dtype, long seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        CheckTarget(device, dtype);
        tokenizer.EnsureFits(config.VocabSize);
        var model = new CausalLanguageModel(config, device, dtype);
        using var generator = new Generator(unchecked((ulong)seed), device);
        model.InitializeWeights(generator);
        return new PretrainedModel(model, tokenizer);
    }

    /// <summary>
    /// Saves <paramref name="model"/> and <paramref name="tokenizer"/> as a Hugging Face folder: <c>config.json</c>,
    /// <c>model.safetensors</c> (or shards with an index when larger than <paramref name="maxShardBytes"/>) and the
    /// tokenizer files. Everything is written into a temporary sibling folder that is then renamed to
    /// <paramref name="folder"/>; an existing folder is renamed aside and deleted only after the new one is in place.
    /// </summary>
    /// <param name="model">The model; its weights are not modified.</param>
    /// <param name="tokenizer">The tokenizer; it must fit the model's vocabulary.</param>
    /// <param name="folder">Destination folder; replaced if it exists.</param>
    /// <param name="dtype">Stored dtype: Float32, Float16 or BFloat16.</param>
    /// <param name="maxShardBytes">Largest safetensors file; larger checkpoints are sharded.</param>
    /// <exception cref="InvalidOperationException">The tokenizer has more tokens than the model's vocabulary.</exception>
    /// <exception cref="ArgumentException">The dtype cannot be stored, or the configuration cannot be written as <c>config.json</c>.</exception>
    /// <exception cref="IOException"><paramref name="folder"/> is a file, or writing fails.</exception>
    public static void Save(CausalLanguageModel model, TextTokenizer tokenizer, string folder, ScalarType dtype = ScalarType.Float32, long maxShardBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        tokenizer.EnsureFits(model.Config.VocabSize);
        AtomicFolder.Replace(folder, temporary =>
        {
            HuggingFaceConfig.Write(model.Config, Path.Combine(temporary, HuggingFaceConfig.FileName), dtype);
            SafetensorsWeights.Write(temporary, model.Weights(), dtype, maxShardBytes);
            tokenizer.SaveTo(temporary);
        });
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();

    private static PretrainedModel Build(
        TransformerConfig config, Dictionary<string, Tensor> weights, TextTokenizer tokenizer, Device device, ScalarType dtype)
    {
        try
        {
            tokenizer.EnsureFits(config.VocabSize);
            var model = new CausalLanguageModel(config, device, dtype);
            try
            {
                model.LoadWeights(weights);
            }
            catch
            {
                model.Dispose();
                throw;
            }

            model.eval();
            return new PretrainedModel(model, tokenizer);
        }
        finally
        {
            Dispose(weights);
        }
    }

    /// <summary>A SentencePiece model file, or a folder with any tokenizer <see cref="TextTokenizer.FromFolder"/> reads.</summary>
    private static TextTokenizer LoadTokenizer(string path)
    {
        if (Directory.Exists(path))
        {
            return TextTokenizer.FromFolder(path);
        }

        return File.Exists(path)
            ? TextTokenizer.FromSentencePiece(path)
            : throw new FileNotFoundException(
                $"Tokenizer '{path}' does not exist. Pass a SentencePiece model file (such as tokenizer.model) or a tokenizer folder.", path);
    }

    /// <summary>The dtype to read safetensors in: the model's, or Float32 for Float64 models (safetensors here holds 32 bits at most).</summary>
    private static ScalarType StorageDtype(ScalarType dtype) => dtype == ScalarType.Float64 ? ScalarType.Float32 : dtype;

    private static void CheckTarget(Device device, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!SupportedDtypes.Contains(dtype))
        {
            throw new ArgumentException(
                $"Models can be loaded in {string.Join(", ", SupportedDtypes)}, not {dtype}.", nameof(dtype));
        }
    }

    private static void Dispose(Dictionary<string, Tensor> weights)
    {
        foreach (var tensor in weights.Values)
        {
            tensor.Dispose();
        }
    }
}
