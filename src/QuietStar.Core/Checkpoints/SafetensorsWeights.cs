using System.Text.Json;
using System.Text.Json.Nodes;
using QuietStar.Core.Model;
using static QuietStar.Core.Checkpoints.LlamaWeightNames;
using static TorchSharp.torch;

namespace QuietStar.Core.Checkpoints;

/// <summary>
/// Reads and writes Hugging Face safetensors weights (<c>model.safetensors</c>, or shards listed in
/// <c>model.safetensors.index.json</c>) and checks a state dict against a <see cref="TransformerConfig"/>.
/// </summary>
internal static class SafetensorsWeights
{
    /// <summary>Name of the single-file checkpoint.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>Name of the index of a sharded checkpoint.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private const string ShardPattern = "model-?????-of-?????.safetensors";

    private const int MaxListedProblems = 20;

    /// <summary>
    /// Loads <c>model.safetensors</c> from <paramref name="folder"/> or, when it is absent, every shard listed in
    /// <c>model.safetensors.index.json</c>; F32, F16 and BF16 tensors are converted to <paramref name="dtype"/> on the CPU.
    /// </summary>
    /// <param name="folder">Folder holding the checkpoint.</param>
    /// <param name="dtype">Dtype of the returned tensors: Float32, Float16 or BFloat16.</param>
    /// <returns>The tensors by name. The caller owns them.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">Neither file exists (the message lists both), or shards named by the index are missing (the message lists them).</exception>
    /// <exception cref="InvalidDataException">A file is malformed, truncated (also a header length beyond the file), holds an unsupported dtype, lacks a tensor its index assigns to it, or a tensor holds NaN or an infinity (the message names it).</exception>
    public static Dictionary<string, Tensor> Read(string folder, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(folder);
        SafetensorsFile.EnsureSupported(dtype, nameof(dtype));
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Weights folder '{folder}' does not exist.");
        }

        string single = Path.Combine(folder, SingleFileName);
        string index = Path.Combine(folder, IndexFileName);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> weights;
        if (File.Exists(single))
        {
            weights = LoadFile(single, keys: null, dtype);
        }
        else if (File.Exists(index))
        {
            weights = ReadShards(folder, index, dtype);
        }
        else
        {
            throw new FileNotFoundException(
                $"No safetensors weights in '{folder}': looked for '{SingleFileName}' and '{IndexFileName}'.", single);
        }

        foreach (var tensor in weights.Values)
        {
            tensor.MoveToOuterDisposeScope();
        }

        return weights;
    }

    /// <summary>
    /// Saves <paramref name="weights"/> converted to <paramref name="dtype"/> as <c>model.safetensors</c>, or, when they
    /// exceed <paramref name="maxShardBytes"/>, as <c>model-00001-of-0000N.safetensors</c> shards plus
    /// <c>model.safetensors.index.json</c>. Each file is written to a temporary name and then moved into place;
    /// files left by an earlier save in the other layout are deleted so that readers cannot pick up stale weights.
    /// </summary>
    /// <param name="folder">Destination folder; created if needed.</param>
    /// <param name="weights">Floating-point tensors by name, on any device; they are not modified.</param>
    /// <param name="dtype">Stored dtype: Float32, Float16 or BFloat16.</param>
    /// <param name="maxShardBytes">Largest shard size in bytes; a tensor larger than this gets a shard of its own.</param>
    /// <exception cref="ArgumentException">A tensor is not floating point, a name is reserved, the dtype is unsupported or the limit is not positive.</exception>
    public static void Write(string folder, IReadOnlyDictionary<string, Tensor> weights, ScalarType dtype, long maxShardBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        SafetensorsFile.EnsureSupported(dtype, nameof(dtype));
        CheckWritable(weights);

        Directory.CreateDirectory(folder);
        var shards = PlanShards(weights, dtype, maxShardBytes);
        if (shards.Count == 1)
        {
            WriteFile(Path.Combine(folder, SingleFileName), shards[0], dtype);
            DeleteStale(folder, keepShards: []);
            return;
        }

        var shardNames = Enumerable.Range(1, shards.Count).Select(i => $"model-{i:D5}-of-{shards.Count:D5}.safetensors").ToList();
        for (int i = 0; i < shards.Count; i++)
        {
            WriteFile(Path.Combine(folder, shardNames[i]), shards[i], dtype);
        }

        // The single file takes precedence when both layouts are present: remove it before the index makes the shards visible.
        File.Delete(Path.Combine(folder, SingleFileName));
        WriteIndex(Path.Combine(folder, IndexFileName), shards, shardNames, dtype);
        DeleteStale(folder, keepShards: shardNames);
    }

    /// <summary>
    /// Checks that <paramref name="weights"/> holds exactly the parameters <paramref name="config"/> needs, each with its
    /// exact shape: embeddings, per-layer norms and projections (q/k/v biases only when <see cref="TransformerConfig.AttentionBias"/>),
    /// final norm, and <c>lm_head.weight</c> only when the embeddings are not tied. Rotary <c>inv_freq</c> buffers are ignored.
    /// </summary>
    /// <param name="config">The model configuration.</param>
    /// <param name="weights">The state dict to check.</param>
    /// <exception cref="ArgumentException">The configuration itself is invalid.</exception>
    /// <exception cref="InvalidDataException">Keys are missing, unexpected or of the wrong shape; the message names each key with its expected and found shape.</exception>
    public static void ValidateAgainst(TransformerConfig config, IReadOnlyDictionary<string, Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        config.Validate();

        var expected = ExpectedShapes(config);
        var problems = new List<string>();
        foreach (var (name, shape) in expected)
        {
            if (!weights.TryGetValue(name, out var tensor))
            {
                problems.Add(name == LmHead
                    ? $"'{name}' is missing, expected shape {Format(shape)} (tie_word_embeddings is false, so a separate classifier is needed)"
                    : $"'{name}' is missing, expected shape {Format(shape)}");
            }
            else if (!tensor.shape.SequenceEqual(shape))
            {
                problems.Add($"'{name}' has shape {Format(tensor.shape)}, expected {Format(shape)}");
            }
        }

        var expectedNames = expected.Select(pair => pair.Key).ToHashSet();
        foreach (string name in weights.Keys.Where(name => !expectedNames.Contains(name) && !IsIgnorable(name)))
        {
            problems.Add(name == LmHead
                ? $"'{name}' is unexpected: tie_word_embeddings is true, so the classifier is the embedding"
                : $"'{name}' is unexpected for this configuration");
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException(DescribeProblems(config, problems));
        }
    }

    private static Dictionary<string, Tensor> ReadShards(string folder, string indexPath, ScalarType dtype)
    {
        var keysByShard = ReadWeightMap(indexPath)
            .GroupBy(entry => entry.Value, entry => entry.Key)
            .ToList();
        var missing = keysByShard.Select(shard => shard.Key).Where(shard => !File.Exists(Path.Combine(folder, shard))).ToList();
        if (missing.Count > 0)
        {
            throw new FileNotFoundException(
                $"'{indexPath}' lists shards that are missing from '{folder}': {string.Join(", ", missing)}.",
                Path.Combine(folder, missing[0]));
        }

        var weights = new Dictionary<string, Tensor>();
        foreach (var shard in keysByShard)
        {
            var keys = shard.ToList();
            var loaded = LoadFile(Path.Combine(folder, shard.Key), keys, dtype);
            var absent = keys.Where(key => !loaded.ContainsKey(key)).ToList();
            if (absent.Count > 0)
            {
                throw new InvalidDataException(
                    $"'{indexPath}' assigns {string.Join(", ", absent.Select(key => $"'{key}'"))} to '{shard.Key}', which does not contain them.");
            }

            foreach (var (key, tensor) in loaded)
            {
                weights.Add(key, tensor);
            }
        }

        return weights;
    }

    /// <summary>The <c>weight_map</c> of an index: tensor name → shard file name (a plain name inside the folder).</summary>
    private static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        JsonNode? index;
        try
        {
            index = JsonNode.Parse(File.ReadAllText(indexPath));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{indexPath}' is not valid JSON: {e.Message}", e);
        }

        if (index?["weight_map"] is not JsonObject weightMap)
        {
            throw new InvalidDataException($"'{indexPath}' has no 'weight_map' object.");
        }

        var map = new Dictionary<string, string>();
        foreach (var (name, value) in weightMap)
        {
            string? shard = value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
            if (shard is null || shard.Length == 0 || Path.GetFileName(shard) != shard || shard is "." or "..")
            {
                throw new InvalidDataException($"'{indexPath}': weight_map entry '{name}' should name a file in the same folder, found {value?.ToJsonString() ?? "null"}.");
            }

            map.Add(name, shard);
        }

        return map;
    }

    /// <summary>Loads one file and converts its tensors to <paramref name="dtype"/>.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <param name="keys">Tensors to keep, or null for all.</param>
    /// <param name="dtype">Target dtype.</param>
    private static Dictionary<string, Tensor> LoadFile(string path, List<string>? keys, ScalarType dtype)
    {
        var loaded = SafetensorsFile.Load(path, keys);
        FiniteWeights.Check(path, loaded);

        var converted = new Dictionary<string, Tensor>(loaded.Count);
        foreach (var (name, tensor) in loaded)
        {
            if (tensor.dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            {
                throw new InvalidDataException($"'{path}': tensor '{name}' has dtype {tensor.dtype}; only F32, F16 and BF16 are supported.");
            }

            converted.Add(name, tensor.dtype == dtype ? tensor : tensor.to_type(dtype, disposeAfter: true));
        }

        return converted;
    }

    private static void CheckWritable(IReadOnlyDictionary<string, Tensor> weights)
    {
        if (weights.ContainsKey(SafetensorsFile.MetadataKey))
        {
            throw new ArgumentException($"'{SafetensorsFile.MetadataKey}' is reserved by the safetensors format.", nameof(weights));
        }

        foreach (var (name, tensor) in weights)
        {
            if (!tensor.is_floating_point())
            {
                throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}; only floating-point weights can be saved.", nameof(weights));
            }
        }
    }

    /// <summary>Splits the tensors, in order, into shards of at most <paramref name="maxShardBytes"/> (HF's greedy rule).</summary>
    private static List<List<KeyValuePair<string, Tensor>>> PlanShards(
        IReadOnlyDictionary<string, Tensor> weights, ScalarType dtype, long maxShardBytes)
    {
        var shards = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long shardBytes = 0;
        foreach (var entry in weights)
        {
            long bytes = SafetensorsFile.StoredBytes(entry.Value, dtype);
            if (shards[^1].Count > 0 && shardBytes + bytes > maxShardBytes)
            {
                shards.Add([]);
                shardBytes = 0;
            }

            shards[^1].Add(entry);
            shardBytes += bytes;
        }

        return shards;
    }

    private static void WriteFile(string path, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, ScalarType dtype) =>
        AtomicFile.Write(path, stream => SafetensorsFile.Write(stream, tensors, dtype));

    private static void WriteIndex(
        string path, List<List<KeyValuePair<string, Tensor>>> shards, List<string> shardNames, ScalarType dtype)
    {
        var weightMap = new JsonObject();
        long totalBytes = 0;
        for (int i = 0; i < shards.Count; i++)
        {
            foreach (var (name, tensor) in shards[i])
            {
                weightMap[name] = shardNames[i];
                totalBytes += SafetensorsFile.StoredBytes(tensor, dtype);
            }
        }

        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = totalBytes },
            ["weight_map"] = weightMap,
        };
        string text = index.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.WriteAllText(path, text + "\n");
    }

    /// <summary>Deletes the index (when no shards are kept) and shard files of an earlier save that are not in <paramref name="keepShards"/>.</summary>
    private static void DeleteStale(string folder, IReadOnlyCollection<string> keepShards)
    {
        if (keepShards.Count == 0)
        {
            File.Delete(Path.Combine(folder, IndexFileName));
        }

        foreach (string path in Directory.EnumerateFiles(folder, ShardPattern))
        {
            if (!keepShards.Contains(Path.GetFileName(path)))
            {
                File.Delete(path);
            }
        }
    }

    private static string Format(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    private static string DescribeProblems(TransformerConfig config, List<string> problems)
    {
        var lines = problems.Take(MaxListedProblems).Select(problem => $"  - {problem}").ToList();
        if (problems.Count > MaxListedProblems)
        {
            lines.Add($"  ... and {problems.Count - MaxListedProblems} more");
        }

        return $"The weights do not match the {config.ModelType} configuration ({config.NumLayers} layers, hidden {config.HiddenSize}, "
            + $"vocab {config.VocabSize}): {problems.Count} problem(s)\n{string.Join("\n", lines)}";
    }
}
