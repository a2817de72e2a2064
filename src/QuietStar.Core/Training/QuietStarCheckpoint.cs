using System.Text.Json;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Checkpoints;
using QuietStar.Core.Loading;
using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Training;

/// <summary>
/// Saves and loads a Quiet-STaR checkpoint folder: a plain Hugging Face model (<c>config.json</c> +
/// <c>model.safetensors</c>, loadable as a Llama/Mistral/Qwen2 model with the two thought tokens in its vocabulary),
/// the tokenizer files, and what Quiet-STaR adds: <c>quietstar.json</c> (options, thought-token ids, training state)
/// and <c>quietstar.safetensors</c> (START/END embeddings and mixing head), plus <c>optimizer.bin</c> for training.
/// A save replaces the folder atomically.
/// </summary>
internal static class QuietStarCheckpoint
{
    /// <summary>The manifest, <c>quietstar.json</c>.</summary>
    public const string ManifestFileName = "quietstar.json";

    /// <summary>The START/END embeddings and mixing head, <c>quietstar.safetensors</c>.</summary>
    public const string ThoughtWeightsFileName = "quietstar.safetensors";

    /// <summary>The AdamW state (TorchSharp's format), <c>optimizer.bin</c>.</summary>
    public const string OptimizerFileName = "optimizer.bin";

    private const string LanguageModelPrefix = "language_model.";

    /// <summary>Saves <paramref name="model"/> and <paramref name="tokenizer"/> for inference (no training state).</summary>
    /// <param name="folder">The checkpoint folder; created, or replaced atomically if it exists.</param>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer; the thought tokens are registered at the model's ids if absent.</param>
    /// <exception cref="ArgumentException">The tokenizer does not fit the model's thought-token ids.</exception>
    public static void Save(string folder, QuietStarModel model, TextTokenizer tokenizer) =>
        Save(folder, model, tokenizer, training: null, writeOptimizer: null);

    /// <summary>Saves a checkpoint; with <paramref name="training"/>, also the training state and the optimizer.</summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="training">Where training stands, or null.</param>
    /// <param name="writeOptimizer">Writes the optimizer state; required with <paramref name="training"/>.</param>
    /// <param name="afterStep">Test seam: called after each file and between the folder renames.</param>
    internal static void Save(string folder, QuietStarModel model, TextTokenizer tokenizer, TrainingState? training, Action<Stream>? writeOptimizer,
        Action<string>? afterStep = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if ((training is null) != (writeOptimizer is null))
        {
            throw new ArgumentException("A training state and an optimizer writer go together.", nameof(writeOptimizer));
        }

        var equipped = ThoughtTokenVocabulary.Equip(tokenizer, model.Options, model.StartThoughtId, model.EndThoughtId);
        AtomicFolder.Replace(folder, building => WriteContent(building, model, equipped, training, writeOptimizer, afterStep), afterStep);
    }

    /// <summary>
    /// Loads a checkpoint onto <paramref name="device"/> in <paramref name="dtype"/>. The START/END embeddings and the
    /// mixing head come from the file and are never re-initialised (the reference's evaluation script re-initialises them).
    /// A folder left missing by a save interrupted between its renames is recovered first.
    /// </summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="device">Device of the model; the CPU when null.</param>
    /// <param name="dtype">Parameter dtype: Float32, Float16 or BFloat16.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file of the checkpoint is missing (the message names it).</exception>
    /// <exception cref="InvalidDataException">A file is malformed, the tokenizer, ids and weights do not fit together, or a weight holds NaN or an infinity (the message names it).</exception>
    /// <exception cref="NotSupportedException">
    /// The checkpoint was written by a newer version, or with a custom mixing head: load that through
    /// <c>QuietStarBuilder.UseMixingHead&lt;THead&gt;()</c>, which rebuilds the head before its weights are read.
    /// </exception>
    public static LoadedCheckpoint Load(string folder, Device? device = null, ScalarType dtype = ScalarType.Float32) =>
        LoadWithHead(folder, device, dtype, mixingHead: null);

    /// <summary>Loads a checkpoint, rebuilding a custom mixing head with <paramref name="mixingHead"/>.</summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="device">Device of the model; the CPU when null.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="mixingHead">
    /// Creates the head the checkpoint was saved with (its type name must match <c>quietstar.json</c>); null rebuilds
    /// the reference <see cref="MixingHead"/> and refuses any other.
    /// </param>
    /// <exception cref="InvalidDataException">The factory's head is not the type the checkpoint was saved with.</exception>
    internal static LoadedCheckpoint LoadWithHead(string folder, Device? device, ScalarType dtype, MixingHeadFactory? mixingHead)
    {
        var (full, manifest) = Open(folder);
        var tokenizer = Fit(full, () => ThoughtTokenVocabulary.Equip(TextTokenizer.FromFolder(full), manifest.QuietStar,
            manifest.StartThoughtId, manifest.EndThoughtId));
        var model = BuildModel(full, manifest, device ?? CPU, dtype, mixingHead);
        return new LoadedCheckpoint(full, model, tokenizer, manifest.Training);
    }

    /// <summary>
    /// Loads a training checkpoint's weights into <paramref name="model"/> in place, for a pipeline that resumes training
    /// its own model. Everything is checked before the first weight is copied: the training state and optimizer file,
    /// the thought-token ids, the mixing-head type, the thought-embedding scale (the optimizer state is in its units),
    /// and every tensor's name, shape and finiteness.
    /// </summary>
    /// <param name="folder">A checkpoint written by a trainer.</param>
    /// <param name="model">The model to overwrite; it stays the caller's.</param>
    /// <param name="tokenizer">The model's tokenizer, returned with it.</param>
    /// <returns>The checkpoint over <paramref name="model"/> itself, with its training state.</returns>
    /// <exception cref="InvalidOperationException">The checkpoint was saved for inference and holds no training state.</exception>
    /// <exception cref="FileNotFoundException">A file of the checkpoint, e.g. the optimizer state, is missing.</exception>
    /// <exception cref="InvalidDataException">The checkpoint does not fit the model (the message says how), or a file is malformed.</exception>
    internal static LoadedCheckpoint LoadInto(string folder, QuietStarModel model, TextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (full, manifest) = Open(folder);
        var training = manifest.Training ?? throw new InvalidOperationException(
            $"Checkpoint '{full}' was saved for inference and holds no training state to resume from.");
        string optimizer = Path.Combine(full, OptimizerFileName);
        if (!File.Exists(optimizer))
        {
            throw new FileNotFoundException($"The checkpoint's optimizer state '{optimizer}' is missing; it cannot be resumed exactly.", optimizer);
        }

        CheckFits(full, manifest, model);
        var lm = model.LanguageModel;
        var weights = SafetensorsWeights.Read(full, lm.DType);
        try
        {
            try
            {
                SafetensorsWeights.ValidateAgainst(lm.Config, weights);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"Checkpoint '{full}' does not fit this model: {e.Message}", e);
            }

            LoadThoughtWeights(model, Path.Combine(full, ThoughtWeightsFileName), beforeCopy: () => lm.LoadWeights(weights));
        }
        finally
        {
            foreach (var tensor in weights.Values)
            {
                tensor.Dispose();
            }
        }

        return new LoadedCheckpoint(full, model, tokenizer, training);
    }

    /// <summary>The options a checkpoint was trained with, read from its manifest alone (no weights are loaded).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has no manifest.</exception>
    /// <exception cref="InvalidDataException">The manifest is malformed or its options are invalid.</exception>
    internal static QuietStarOptions ReadOptions(string folder) => Open(folder).Manifest.QuietStar;

    /// <summary>The training state a checkpoint was saved with (null for an inference checkpoint), from its manifest alone.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has no manifest.</exception>
    internal static TrainingState? ReadTrainingState(string folder) => Open(folder).Manifest.Training;

    /// <summary>The checkpoint folder's full path and manifest, after repairing a swap a crash interrupted.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    private static (string Full, CheckpointManifest Manifest) Open(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        AtomicFolder.Recover(folder);
        string full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"Checkpoint folder '{folder}' does not exist.");
        }

        return (full, ReadManifest(full));
    }

    private static void WriteContent(string folder, QuietStarModel model, TextTokenizer tokenizer, TrainingState? training,
        Action<Stream>? writeOptimizer, Action<string>? afterStep)
    {
        var lm = model.LanguageModel;
        HuggingFaceConfig.Write(lm.Config, Path.Combine(folder, HuggingFaceConfig.FileName), lm.DType);
        afterStep?.Invoke(HuggingFaceConfig.FileName);
        SafetensorsWeights.Write(folder, lm.Weights(), lm.DType);
        afterStep?.Invoke(SafetensorsWeights.SingleFileName);
        tokenizer.SaveTo(folder);
        afterStep?.Invoke("tokenizer");
        WriteFile(Path.Combine(folder, ThoughtWeightsFileName), stream => SafetensorsFile.Write(stream, ThoughtWeights(model), lm.DType));
        afterStep?.Invoke(ThoughtWeightsFileName);
        if (writeOptimizer is not null)
        {
            WriteFile(Path.Combine(folder, OptimizerFileName), writeOptimizer);
            afterStep?.Invoke(OptimizerFileName);
        }

        var manifest = new CheckpointManifest
        {
            FormatVersion = CheckpointManifest.CurrentFormatVersion,
            QuietStar = model.Options,
            StartThoughtId = model.StartThoughtId,
            EndThoughtId = model.EndThoughtId,
            MixingHead = model.MixingHead.GetType().Name,
            Training = training,
            OptimizerFile = training is null ? null : OptimizerFileName,
        };
        string json = JsonSerializer.Serialize(manifest, CheckpointManifest.Json);
        WriteFile(Path.Combine(folder, ManifestFileName), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(json + "\n")));
        afterStep?.Invoke(ManifestFileName);
    }

    private static void WriteFile(string path, Action<Stream> write)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        write(stream);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>The non-LM parameters (START/END embeddings, mixing head) under their module names.</summary>
    private static List<KeyValuePair<string, Tensor>> ThoughtWeights(QuietStarModel model) =>
        model.named_parameters()
            .Where(p => !p.name.StartsWith(LanguageModelPrefix, StringComparison.Ordinal))
            .Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter))
            .ToList();

    private static CheckpointManifest ReadManifest(string folder)
    {
        string path = Path.Combine(folder, ManifestFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"'{folder}' is not a Quiet-STaR checkpoint: it has no {ManifestFileName}. A plain Hugging Face model folder is loaded as a base model instead.", path);
        }

        CheckpointManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(path), CheckpointManifest.Json)
                ?? throw new InvalidDataException($"'{path}' is empty (null).");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid Quiet-STaR manifest: {e.Message}", e);
        }

        if (manifest.FormatVersion > CheckpointManifest.CurrentFormatVersion)
        {
            throw new NotSupportedException(
                $"'{path}' has format version {manifest.FormatVersion}; this library reads up to {CheckpointManifest.CurrentFormatVersion}. Update QuietStar.Core.");
        }

        Fit(folder, () => manifest.QuietStar.Validate());
        return manifest;
    }

    private static QuietStarModel BuildModel(string folder, CheckpointManifest manifest, Device device, ScalarType dtype, MixingHeadFactory? mixingHead)
    {
        var config = HuggingFaceConfig.Read(Path.Combine(folder, HuggingFaceConfig.FileName));
        var head = CreateMixingHead(folder, manifest, config.HiddenSize, device, dtype, mixingHead);
        var lm = new CausalLanguageModel(config, device, dtype);
        QuietStarModel? model = null;
        try
        {
            LoadLanguageModel(lm, folder, dtype);
            var thoughts = new ThoughtEmbeddings(config.HiddenSize, manifest.QuietStar.ThoughtEmbeddingGradientScale, device, dtype);
            model = Fit(folder, () => QuietStarModel.Restore(lm, thoughts, head, manifest.QuietStar, manifest.StartThoughtId, manifest.EndThoughtId));
            LoadThoughtWeights(model, Path.Combine(folder, ThoughtWeightsFileName));
            return model;
        }
        catch
        {
            if (model is null)
            {
                lm.Dispose();
                (head as IDisposable)?.Dispose();
            }
            else
            {
                model.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// The head the checkpoint was saved with, its weights still to be read: the reference <see cref="MixingHead"/>, or a
    /// custom head made by <paramref name="factory"/> when its type name matches the manifest's.
    /// </summary>
    private static IMixingHead CreateMixingHead(string folder, CheckpointManifest manifest, int hiddenSize, Device device, ScalarType dtype,
        MixingHeadFactory? factory)
    {
        string path = Path.Combine(folder, ManifestFileName);
        if (factory is null)
        {
            return manifest.MixingHead == nameof(MixingHead)
                ? new MixingHead(hiddenSize, device, dtype)
                : throw new NotSupportedException(
                    $"'{path}' was saved with a custom mixing head '{manifest.MixingHead}'. Load it with QuietStarBuilder and " +
                    $".UseMixingHead<{manifest.MixingHead}>() (or the factory that created it), which rebuilds the head before its weights are read.");
        }

        var head = factory(hiddenSize, device, dtype);
        if (head.GetType().Name != manifest.MixingHead)
        {
            (head as IDisposable)?.Dispose();
            throw new InvalidDataException(
                $"'{path}' was saved with mixing head '{manifest.MixingHead}', but UseMixingHead creates '{head.GetType().Name}'. " +
                $"Use the head the checkpoint was trained with" + (manifest.MixingHead == nameof(MixingHead) ? " (remove UseMixingHead)." : "."));
        }

        return head;
    }

    private static void LoadLanguageModel(CausalLanguageModel lm, string folder, ScalarType dtype)
    {
        var weights = SafetensorsWeights.Read(folder, dtype);
        try
        {
            lm.LoadWeights(weights);
        }
        finally
        {
            foreach (var tensor in weights.Values)
            {
                tensor.Dispose();
            }
        }
    }

    private static void CheckFits(string folder, CheckpointManifest manifest, QuietStarModel model)
    {
        var problems = new List<string>();
        if (manifest.StartThoughtId != model.StartThoughtId || manifest.EndThoughtId != model.EndThoughtId)
        {
            problems.Add($"its thought token ids are {manifest.StartThoughtId}/{manifest.EndThoughtId}, the model's {model.StartThoughtId}/{model.EndThoughtId}");
        }

        if (manifest.MixingHead != model.MixingHead.GetType().Name)
        {
            problems.Add($"its mixing head is '{manifest.MixingHead}', the model's '{model.MixingHead.GetType().Name}'");
        }

        if (manifest.QuietStar.ThoughtEmbeddingGradientScale != model.ThoughtEmbeddings.GradientScale)
        {
            problems.Add($"its ThoughtEmbeddingGradientScale is {manifest.QuietStar.ThoughtEmbeddingGradientScale}, the model's " +
                $"{model.ThoughtEmbeddings.GradientScale} (its optimizer state is in the stored scale's units)");
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException(
                $"Checkpoint '{folder}' does not fit this model: {string.Join("; ", problems)}. Build the pipeline from the checkpoint (ModelSource.Checkpoint) without changing these.");
        }
    }

    /// <summary>Copies START/END and the mixing head from the file, bit for bit (no initialisation ever runs).</summary>
    /// <param name="model">The model whose thought weights are overwritten.</param>
    /// <param name="path">The <c>quietstar.safetensors</c> file.</param>
    /// <param name="beforeCopy">Runs once the file is checked, before its first weight is copied.</param>
    private static void LoadThoughtWeights(QuietStarModel model, string path, Action? beforeCopy = null)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The checkpoint lacks {ThoughtWeightsFileName} (START/END embeddings and mixing head): '{path}'.", path);
        }

        var saved = SafetensorsFile.Load(path);
        try
        {
            var expected = ThoughtWeights(model).ToDictionary(p => p.Key, p => p.Value);
            var problems = expected.Keys.Where(name => !saved.ContainsKey(name)).Select(name => $"'{name}' is missing")
                .Concat(saved.Keys.Where(name => !expected.ContainsKey(name)).Select(name => $"'{name}' is unexpected"))
                .Concat(expected.Where(p => saved.TryGetValue(p.Key, out var s) && !s.shape.SequenceEqual(p.Value.shape))
                    .Select(p => $"'{p.Key}' has shape [{string.Join(", ", saved[p.Key].shape)}], expected [{string.Join(", ", p.Value.shape)}]"))
                .ToList();
            if (problems.Count > 0)
            {
                throw new InvalidDataException($"'{path}' does not fit the model: {string.Join("; ", problems)}.");
            }

            FiniteWeights.Check(path, saved);
            beforeCopy?.Invoke();

            using var noGrad = torch.no_grad();
            foreach (var (name, parameter) in expected)
            {
                parameter.copy_(saved[name]);
            }
        }
        finally
        {
            foreach (var tensor in saved.Values)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>Runs <paramref name="check"/>, reporting an <see cref="ArgumentException"/> as a malformed checkpoint.</summary>
    private static T Fit<T>(string folder, Func<T> check)
    {
        try
        {
            return check();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Checkpoint '{folder}': {e.Message}", e);
        }
    }

    private static void Fit(string folder, Action check) => Fit(folder, () =>
    {
        check();
        return true;
    });
}

/// <summary>What <see cref="QuietStarCheckpoint.Load"/> restores. The caller owns (and disposes) the model.</summary>
/// <param name="Folder">The checkpoint folder (full path).</param>
/// <param name="Model">The model with its trained START/END embeddings and mixing head.</param>
/// <param name="Tokenizer">The tokenizer, with the thought tokens registered at the model's ids.</param>
/// <param name="Training">Where training stood; null for a checkpoint saved for inference only.</param>
internal sealed record LoadedCheckpoint(string Folder, QuietStarModel Model, TextTokenizer Tokenizer, TrainingState? Training);
