using QuietStar.Core;
using QuietStar.Core.Configuration;
using QuietStar.Core.Loading;
using QuietStar.Core.Thinking;
using QuietStar.Core.Tokenization;

namespace QuietStar.Cli.Commands.Generate;

/// <summary>How the verbs that think obtain a Quiet-STaR model: from a checkpoint folder, or by equipping a plain model freshly.</summary>
internal static class ThinkingModels
{
    /// <summary>The file that marks a Quiet-STaR checkpoint folder.</summary>
    public const string Manifest = "quietstar.json";

    /// <summary>What to tell the user when thoughts were added just now: they cannot change the text yet.</summary>
    public const string UntrainedWarning = "untrained thoughts: the mixing weight is 0, so the text equals the base model's";

    /// <summary>Whether <paramref name="modelPath"/> is a Quiet-STaR checkpoint folder.</summary>
    public static bool IsCheckpoint(string? modelPath) => modelPath is not null && File.Exists(Path.Combine(modelPath, Manifest));

    /// <summary>
    /// The seam where a Quiet-STaR checkpoint folder is loaded with its trained thought embeddings and mixing head:
    /// <c>QuietStarCheckpoint.Load(folder, device, dtype)</c>, which is not on this branch yet.
    /// </summary>
    public static (QuietStarModel Model, TextTokenizer Tokenizer) LoadCheckpoint(string folder) => throw new NotSupportedException(
        $"'{folder}' is a Quiet-STaR checkpoint (it holds {Manifest}), which this build cannot load yet. Pass its base model with --thoughts meanwhile.");

    /// <summary>
    /// Equips a plain model for thinking as training starts it: START/END seeded from the init text, the mixing head at
    /// w ≡ 0. The model's vocabulary grows in place; the returned model owns it.
    /// </summary>
    public static QuietStarModel Equip(PretrainedModel pretrained, int? thoughtTokens)
    {
        var options = new QuietStarOptions();
        options.ThoughtTokens = thoughtTokens ?? options.ThoughtTokens;
        var tokenizer = pretrained.Tokenizer;
        int initToken = ThoughtInitToken.Choose(tokenizer.Encode(options.ThoughtInitText), id => tokenizer.Decode([id]), options.ThoughtInitRule);
        using var generator = new TorchSharp.torch.Generator(0);
        return QuietStarModel.Create(pretrained.Model, initToken, options, generator);
    }
}
