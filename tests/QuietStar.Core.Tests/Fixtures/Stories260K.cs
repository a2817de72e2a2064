using System.Text.Json;
using QuietStar.Core.Loading;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Fixtures;

/// <summary>The shipped stories260K llama2.c model, its tokenizer and reference_greedy.json (see data/stories260k/README.md).</summary>
internal static class Stories260K
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "TestData", "stories260k");

    public static string CheckpointPath => Path.Combine(Folder, "stories260K.bin");

    public static string TokenizerPath => Path.Combine(Folder, "tok512.model");

    public static PretrainedModel Load() => PretrainedModel.FromLlama2c(CheckpointPath, TokenizerPath, CPU, ScalarType.Float32);

    public static Reference LoadReference()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "reference_greedy.json")));
        var root = json.RootElement;
        float[] Floats(string key) => [.. root.GetProperty(key).EnumerateArray().Select(e => e.GetSingle())];
        return new Reference(
            [.. root.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32())],
            root.GetProperty("text").GetString()!,
            Floats("logits_pos0_after_BOS"),
            Floats("logits_pos1_after_BOS_then_403"));
    }

    /// <param name="TokenIds">BOS followed by the 256 greedy tokens.</param>
    /// <param name="Text">The decoded story.</param>
    /// <param name="LogitsAfterBos">The 512 logits at position 0 (input BOS).</param>
    /// <param name="LogitsAfterOnce">The 512 logits at position 1 (input BOS, 403).</param>
    public sealed record Reference(int[] TokenIds, string Text, float[] LogitsAfterBos, float[] LogitsAfterOnce)
    {
        /// <summary>The 256 generated tokens (without the leading BOS).</summary>
        public int[] Generated => TokenIds[1..];
    }
}
