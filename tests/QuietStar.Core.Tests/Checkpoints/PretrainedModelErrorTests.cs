using System.Text.Json.Nodes;
using FluentAssertions;
using QuietStar.Core.Checkpoints;
using QuietStar.Core.Loading;
using QuietStar.Core.Tests.Fixtures;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Checkpoints;

/// <summary>Every bad input to <see cref="PretrainedModel"/> fails with an exception naming the file and the problem.</summary>
public sealed class PretrainedModelErrorTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Model_path_that_does_not_exist_says_what_to_pass()
    {
        string missing = temp.File("nowhere.bin");

        FluentActions.Invoking(() => PretrainedModel.Load(missing, Stories260K.TokenizerPath, CPU, ScalarType.Float32))
            .Should().Throw<FileNotFoundException>()
            .WithMessage($"Model '{missing}' does not exist. Pass a llama2.c checkpoint (.bin) or a Hugging Face model folder (config.json + model.safetensors).");
    }

    [Fact]
    public void Tokenizer_path_that_does_not_exist_says_what_to_pass()
    {
        string missing = temp.File("tok.model");

        FluentActions.Invoking(() => PretrainedModel.Load(Stories260K.CheckpointPath, missing, CPU, ScalarType.Float32))
            .Should().Throw<FileNotFoundException>()
            .WithMessage($"Tokenizer '{missing}' does not exist. Pass a SentencePiece model file*");
    }

    [Fact]
    public void Llama2c_checkpoint_without_a_tokenizer_asks_for_one()
    {
        FluentActions.Invoking(() => PretrainedModel.Load(Stories260K.CheckpointPath, null, CPU, ScalarType.Float32))
            .Should().Throw<ArgumentException>()
            .WithMessage($"'{Stories260K.CheckpointPath}' is a llama2.c checkpoint, which holds no tokenizer: pass its SentencePiece model (for example tok512.model)*");
    }

    [Fact]
    public void Truncated_llama2c_file_names_the_file_and_both_sizes()
    {
        string path = temp.File("truncated.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(Stories260K.CheckpointPath)[..500_000]);

        FluentActions.Invoking(() => PretrainedModel.Load(path, Stories260K.TokenizerPath, CPU, ScalarType.Float32))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"'{path}' has 500,000 bytes, but its header (dim=64, *) implies 1,056,540 bytes.");
    }

    [Fact]
    public void File_that_is_not_a_llama2c_checkpoint_is_rejected_by_its_header()
    {
        // The SentencePiece protobuf passed as the model: its first int32s are no llama2.c header.
        FluentActions.Invoking(() => PretrainedModel.Load(Stories260K.TokenizerPath, Stories260K.TokenizerPath, CPU, ScalarType.Float32))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"'{Stories260K.TokenizerPath}' does not have a valid llama2.c header: expected *");
    }

    [Fact]
    public void Newer_llama2c_export_with_the_ak42_magic_is_named_as_unsupported()
    {
        string path = temp.File("v1.bin");
        byte[] bytes = File.ReadAllBytes(Stories260K.CheckpointPath);
        BitConverter.GetBytes(0x616b3432).CopyTo(bytes, 0);
        BitConverter.GetBytes(1).CopyTo(bytes, 4);
        File.WriteAllBytes(path, bytes);

        FluentActions.Invoking(() => PretrainedModel.Load(path, Stories260K.TokenizerPath, CPU, ScalarType.Float32))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"'{path}' is a llama2.c version 1 export (magic \"ak42\"); only the legacy version 0 format is supported.");
    }

    [Fact]
    public void Tokenizer_larger_than_the_model_vocabulary_does_not_fit()
    {
        // A valid llama2.c file with a 6-token vocabulary, with the 512-token tok512.model.
        string path = temp.File("six-tokens.bin");
        File.WriteAllBytes(path, new SyntheticLlama2c(dim: 8, hidden: 12, layers: 1, heads: 2, kvHeads: 1, vocab: 6, seqLen: 4, shared: true).Bytes);

        FluentActions.Invoking(() => PretrainedModel.Load(path, Stories260K.TokenizerPath, CPU, ScalarType.Float32))
            .Should().Throw<InvalidOperationException>()
            .WithMessage("The tokenizer does not fit the model: it has 512 base tokens but the model's vocabulary has only 6 entries*");
    }

    [Fact]
    public void Unknown_model_type_in_config_json_is_named_with_the_supported_ones()
    {
        string folder = SavedStories();
        EditConfig(folder, json => json["model_type"] = "gpt2");

        FluentActions.Invoking(() => PretrainedModel.Load(folder, null, CPU, ScalarType.Float32))
            .Should().Throw<NotSupportedException>()
            .WithMessage("'*config.json': model_type 'gpt2' is not supported. Supported: llama, mistral, qwen2.");
    }

    [Fact]
    public void Safetensors_tensor_with_a_wrong_shape_is_named_with_both_shapes_and_the_folder()
    {
        string folder = SavedStories();
        var weights = SafetensorsWeights.Read(folder, ScalarType.Float32);
        weights["model.layers.2.mlp.up_proj.weight"] = weights["model.layers.2.mlp.up_proj.weight"][..100];
        SafetensorsWeights.Write(folder, weights, ScalarType.Float32);
        TinyWeights.Dispose(weights);

        FluentActions.Invoking(() => PretrainedModel.Load(folder, null, CPU, ScalarType.Float32))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"'{folder}': The weights do not match the llama configuration*'model.layers.2.mlp.up_proj.weight' has shape [100, 64], expected [172, 64]*same model.");
    }

    [Fact]
    public void Folder_with_a_config_but_no_weights_says_which_files_were_looked_for()
    {
        string folder = SavedStories();
        File.Delete(Path.Combine(folder, SafetensorsWeights.SingleFileName));

        FluentActions.Invoking(() => PretrainedModel.Load(folder, null, CPU, ScalarType.Float32))
            .Should().Throw<FileNotFoundException>()
            .WithMessage($"No safetensors weights in '{folder}': looked for 'model.safetensors' and 'model.safetensors.index.json'.");
    }

    [Fact]
    public void Folder_without_config_json_names_the_missing_file()
    {
        string folder = SavedStories();
        File.Delete(Path.Combine(folder, HuggingFaceConfig.FileName));

        FluentActions.Invoking(() => PretrainedModel.Load(folder, null, CPU, ScalarType.Float32))
            .Should().Throw<FileNotFoundException>()
            .WithMessage($"Model configuration '{Path.Combine(folder, "config.json")}' does not exist.");
    }

    [Fact]
    public void Truncated_safetensors_file_is_named()
    {
        string folder = SavedStories();
        string weights = Path.Combine(folder, SafetensorsWeights.SingleFileName);
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..4000]);

        FluentActions.Invoking(() => PretrainedModel.Load(folder, null, CPU, ScalarType.Float32))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"'{weights}' is not a readable safetensors file*");
    }

    [Fact]
    public void Llama2c_weights_with_a_nan_are_refused_naming_the_file_and_tensor()
    {
        string path = temp.File("nan.bin");
        byte[] bytes = File.ReadAllBytes(Stories260K.CheckpointPath);
        BitConverter.GetBytes(float.NaN).CopyTo(bytes, 28 + (4 * 100));   // token_embedding[1, 36]
        File.WriteAllBytes(path, bytes);

        FluentActions.Invoking(() => PretrainedModel.Load(path, Stories260K.TokenizerPath, CPU, ScalarType.Float32))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"'{path}': weight 'model.embed_tokens.weight' holds 1 NaN and 0 infinite value(s)*");
    }

    [Fact]
    public void Safetensors_weights_with_an_infinity_are_refused_naming_the_file_and_tensor()
    {
        string folder = SavedStories();
        string file = Path.Combine(folder, SafetensorsWeights.SingleFileName);
        var weights = SafetensorsWeights.Read(folder, ScalarType.Float32);
        weights["model.layers.1.self_attn.q_proj.weight"][3, 5] = float.PositiveInfinity;
        weights["model.layers.1.self_attn.q_proj.weight"][4, 5] = float.NegativeInfinity;
        SafetensorsWeights.Write(folder, weights, ScalarType.Float32);
        TinyWeights.Dispose(weights);

        FluentActions.Invoking(() => PretrainedModel.Load(folder, null, CPU, ScalarType.Float32))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"'{file}': weight 'model.layers.1.self_attn.q_proj.weight' holds 0 NaN and 2 infinite value(s)*");
    }

    [Fact]
    public void Safetensors_header_length_beyond_the_file_says_so()
    {
        string folder = SavedStories();
        string file = Path.Combine(folder, SafetensorsWeights.SingleFileName);
        byte[] bytes = File.ReadAllBytes(file);
        BitConverter.GetBytes((ulong)bytes.Length + 100).CopyTo(bytes, 0);
        File.WriteAllBytes(file, bytes);

        FluentActions.Invoking(() => PretrainedModel.Load(folder, null, CPU, ScalarType.Float32))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"'{file}' is not a readable safetensors file: its header length ({bytes.Length + 100:N0} bytes) exceeds the {bytes.Length - 8:N0} bytes that follow it*");
    }

    [Fact]
    public void Folder_without_a_tokenizer_says_what_was_looked_for()
    {
        string folder = SavedStories();
        File.Delete(Path.Combine(folder, "tokenizer.model"));

        FluentActions.Invoking(() => PretrainedModel.Load(folder, null, CPU, ScalarType.Float32))
            .Should().Throw<FileNotFoundException>()
            .WithMessage($"No tokenizer found in '{folder}': looked for tokenizer.model (SentencePiece) or vocab.json + merges.txt*");
    }

    [Fact]
    public void Single_file_of_a_Hugging_Face_model_asks_for_its_folder()
    {
        string folder = SavedStories();
        string weights = Path.Combine(folder, SafetensorsWeights.SingleFileName);

        FluentActions.Invoking(() => PretrainedModel.Load(weights, null, CPU, ScalarType.Float32))
            .Should().Throw<ArgumentException>()
            .WithMessage($"'{weights}' is one file of a Hugging Face model; pass the folder that holds it ('{folder}').*");
    }

    [Fact]
    public void Unsupported_dtype_is_rejected()
    {
        FluentActions.Invoking(() => PretrainedModel.Load(Stories260K.CheckpointPath, Stories260K.TokenizerPath, CPU, ScalarType.Int32))
            .Should().Throw<ArgumentException>()
            .WithMessage("Models can be loaded in Float32, Float64, Float16, BFloat16, not Int32.*");
    }

    private string SavedStories()
    {
        string folder = temp.File($"stories-{Guid.NewGuid():N}");
        using var stories = Stories260K.Load();
        PretrainedModel.Save(stories.Model, stories.Tokenizer, folder);
        return folder;
    }

    private static void EditConfig(string folder, Action<JsonObject> edit)
    {
        string path = Path.Combine(folder, HuggingFaceConfig.FileName);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }
}
