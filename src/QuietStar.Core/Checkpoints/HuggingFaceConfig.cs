using System.Text.Json;
using System.Text.Json.Nodes;
using QuietStar.Core.Model;
using static TorchSharp.torch;

namespace QuietStar.Core.Checkpoints;

/// <summary>
/// Reads and writes Hugging Face <c>config.json</c> files for the Llama, Mistral and Qwen2 families.
/// </summary>
/// <remarks>
/// Keys missing from a file take the defaults of the matching <c>transformers</c> configuration class
/// (for example <c>rms_norm_eps</c> 1e-6, Mistral's <c>sliding_window</c> 4096), so a file means the same here as in Python.
/// Rotary scaling (<c>rope_scaling</c> other than the default) is rejected because the model does not implement it.
/// </remarks>
internal static class HuggingFaceConfig
{
    /// <summary>The conventional file name, <c>config.json</c>.</summary>
    public const string FileName = "config.json";

    private const int HfDefaultSlidingWindow = 4096;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Reads a <c>config.json</c> into a validated <see cref="TransformerConfig"/>.</summary>
    /// <param name="configJsonPath">Path of the <c>config.json</c> file.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NotSupportedException">The <c>model_type</c> or a feature (rotary scaling, MLP bias) is not supported; the message names it.</exception>
    /// <exception cref="InvalidDataException">The file is not JSON, a required key is missing, a value has the wrong type, or the values are inconsistent; the message names the key.</exception>
    public static TransformerConfig Read(string configJsonPath)
    {
        ArgumentNullException.ThrowIfNull(configJsonPath);
        if (!File.Exists(configJsonPath))
        {
            throw new FileNotFoundException($"Model configuration '{configJsonPath}' does not exist.", configJsonPath);
        }

        using var document = ParseJson(configJsonPath);
        var json = new ConfigJsonReader(document.RootElement, configJsonPath);
        string modelType = json.RequiredString("model_type");
        if (!TransformerConfig.SupportedModelTypes.Contains(modelType))
        {
            throw new NotSupportedException(
                $"'{configJsonPath}': model_type '{modelType}' is not supported. Supported: {string.Join(", ", TransformerConfig.SupportedModelTypes)}.");
        }

        RejectUnsupportedFeatures(json, configJsonPath);
        var config = ToConfig(json, modelType);
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{configJsonPath}': {e.Message}", e);
        }

        return config;
    }

    /// <summary>
    /// Writes <paramref name="config"/> as a <c>config.json</c> that <c>transformers</c> loads as
    /// <c>LlamaForCausalLM</c>, <c>MistralForCausalLM</c> or <c>Qwen2ForCausalLM</c>. The file is replaced atomically.
    /// </summary>
    /// <param name="config">The configuration to write.</param>
    /// <param name="path">Destination path, normally <c>&lt;folder&gt;/config.json</c>; the folder is created if needed.</param>
    /// <param name="weightsDtype">The dtype of the saved weights, recorded as <c>torch_dtype</c>: Float32, Float16 or BFloat16.</param>
    /// <exception cref="ArgumentException">The configuration is invalid, or cannot be expressed in its family (biases on Mistral, no biases on Qwen2), or the dtype is not one of the three.</exception>
    public static void Write(TransformerConfig config, string path, ScalarType weightsDtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(path);
        config.Validate();
        CheckExpressible(config);
        string text = ToJson(config, TorchDtypeName(weightsDtype)).ToJsonString(Indented);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, text + "\n");
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var document = JsonDocument.Parse(stream);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new InvalidDataException($"'{path}' should contain a JSON object.");
            }

            return document;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }

    private static void RejectUnsupportedFeatures(ConfigJsonReader json, string path)
    {
        foreach (string key in new[] { "rope_scaling", "rope_parameters" })
        {
            var rope = json.OptionalObject(key);
            string ropeType = rope?.OptionalString("rope_type") ?? rope?.OptionalString("type") ?? "default";
            if (ropeType != "default")
            {
                throw new NotSupportedException($"'{path}': {key} of type '{ropeType}' is not supported (only plain RoPE).");
            }
        }

        if (json.OptionalBool("mlp_bias") == true)
        {
            throw new NotSupportedException($"'{path}': mlp_bias=true is not supported (the feed-forward layers have no biases).");
        }
    }

    private static TransformerConfig ToConfig(ConfigJsonReader json, string modelType)
    {
        int heads = json.RequiredInt("num_attention_heads");
        bool isLlama = modelType == "llama";
        return new TransformerConfig
        {
            ModelType = modelType,
            VocabSize = json.RequiredInt("vocab_size"),
            HiddenSize = json.RequiredInt("hidden_size"),
            IntermediateSize = json.RequiredInt("intermediate_size"),
            NumLayers = json.RequiredInt("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = json.OptionalInt("num_key_value_heads") ?? heads,
            HeadDim = json.OptionalInt("head_dim"),
            MaxPositionEmbeddings = json.OptionalInt("max_position_embeddings") ?? DefaultMaxPositions(modelType),
            RopeTheta = json.OptionalDouble("rope_theta") ?? json.OptionalObject("rope_parameters")?.OptionalDouble("rope_theta") ?? 10000.0,
            RmsNormEps = json.OptionalDouble("rms_norm_eps") ?? 1e-6,
            TieWordEmbeddings = json.OptionalBool("tie_word_embeddings") ?? false,
            AttentionBias = modelType == "qwen2" || (isLlama && (json.OptionalBool("attention_bias") ?? false)),
            SlidingWindow = ReadSlidingWindow(json, modelType),
            BosTokenId = ReadTokenId(json, "bos_token_id", modelType, llamaDefault: 1),
            EosTokenId = ReadTokenId(json, "eos_token_id", modelType, llamaDefault: 2),
            PadTokenId = json.OptionalTokenId("pad_token_id"),
        };
    }

    /// <summary>Llama and Mistral mean bos 1 / eos 2 when the key is absent; Qwen2 has no default.</summary>
    private static int? ReadTokenId(ConfigJsonReader json, string key, string modelType, int llamaDefault) =>
        json.Has(key) || modelType == "qwen2" ? json.OptionalTokenId(key) : llamaDefault;

    /// <summary>Default context length of each <c>transformers</c> configuration class.</summary>
    private static int DefaultMaxPositions(string modelType) => modelType switch
    {
        "mistral" => 4096 * 32,
        "qwen2" => 32768,
        _ => 2048,
    };

    /// <summary>
    /// Mistral: <c>sliding_window</c> (absent means 4096, null means none). Qwen2: <c>sliding_window</c> only when
    /// <c>use_sliding_window</c> is true. Llama has no sliding window; a <c>sliding_window</c> key is kept if present.
    /// </summary>
    private static int? ReadSlidingWindow(ConfigJsonReader json, string modelType)
    {
        int? window = json.Has("sliding_window") ? json.OptionalInt("sliding_window") : null;
        return modelType switch
        {
            "mistral" => json.Has("sliding_window") ? window : HfDefaultSlidingWindow,
            "qwen2" when json.OptionalBool("use_sliding_window") != true => null,
            "qwen2" => json.Has("sliding_window") ? window : HfDefaultSlidingWindow,
            _ => window,
        };
    }

    private static void CheckExpressible(TransformerConfig config)
    {
        if (config.ModelType == "mistral" && config.AttentionBias)
        {
            throw new ArgumentException("Mistral has no attention biases; use model_type llama with attention_bias, or qwen2.", nameof(config));
        }

        if (config.ModelType == "qwen2" && !config.AttentionBias)
        {
            throw new ArgumentException("Qwen2 always has q/k/v biases; set AttentionBias or use model_type llama.", nameof(config));
        }
    }

    private static JsonObject ToJson(TransformerConfig config, string torchDtype)
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(Architecture(config.ModelType)),
            ["model_type"] = config.ModelType,
            ["vocab_size"] = config.VocabSize,
            ["hidden_size"] = config.HiddenSize,
            ["intermediate_size"] = config.IntermediateSize,
            ["num_hidden_layers"] = config.NumLayers,
            ["num_attention_heads"] = config.NumAttentionHeads,
            ["num_key_value_heads"] = config.NumKeyValueHeads,
        };
        if (config.HeadDim is int headDim)
        {
            json["head_dim"] = headDim;
        }

        json["hidden_act"] = "silu";
        json["max_position_embeddings"] = config.MaxPositionEmbeddings;
        json["rope_theta"] = config.RopeTheta;
        json["rms_norm_eps"] = config.RmsNormEps;
        json["tie_word_embeddings"] = config.TieWordEmbeddings;
        json["attention_dropout"] = 0.0;
        json["initializer_range"] = 0.02;
        json["use_cache"] = true;
        json["torch_dtype"] = torchDtype;
        // Written even when null: a missing key would mean the transformers default (1 and 2 for Llama and Mistral).
        json["bos_token_id"] = config.BosTokenId;
        json["eos_token_id"] = config.EosTokenId;
        json["pad_token_id"] = config.PadTokenId;
        AddFamilyKeys(json, config);
        return json;
    }

    private static void AddFamilyKeys(JsonObject json, TransformerConfig config)
    {
        switch (config.ModelType)
        {
            case "llama":
                json["attention_bias"] = config.AttentionBias;
                json["mlp_bias"] = false;
                json["pretraining_tp"] = 1;
                if (config.SlidingWindow is int window)
                {
                    json["sliding_window"] = window;
                }

                break;
            case "mistral":
                json["sliding_window"] = config.SlidingWindow; // null means full attention; absent would mean 4096
                break;
            case "qwen2":
                json["use_sliding_window"] = config.SlidingWindow is not null;
                json["sliding_window"] = config.SlidingWindow;
                break;
        }
    }

    private static string Architecture(string modelType) => modelType switch
    {
        "llama" => "LlamaForCausalLM",
        "mistral" => "MistralForCausalLM",
        "qwen2" => "Qwen2ForCausalLM",
        _ => throw new ArgumentException($"Unknown model_type '{modelType}'.", nameof(modelType)),
    };

    private static string TorchDtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        _ => throw new ArgumentException($"Weights dtype {dtype} is not supported; use Float32, Float16 or BFloat16.", "weightsDtype"),
    };
}
