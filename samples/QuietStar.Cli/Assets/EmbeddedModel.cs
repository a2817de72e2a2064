using QuietStar.Core.Loading;
using QuietStar.Core.Tokenization;
using static TorchSharp.torch;

namespace QuietStar.Cli.Assets;

/// <summary>The stories260K llama2.c model and its tok512 tokenizer, embedded in the executable (see data/stories260k).</summary>
internal static class EmbeddedModel
{
    /// <summary>How diagnostics name the embedded model.</summary>
    public const string Name = "stories260K (embedded)";

    /// <summary>Loads the embedded model onto <paramref name="device"/> in <paramref name="dtype"/>.</summary>
    public static PretrainedModel Load(Device device, ScalarType dtype)
    {
        using var checkpoint = Open("QuietStar.Cli.Assets.stories260K.bin");
        using var tokenizer = Open("QuietStar.Cli.Assets.tok512.model");
        return PretrainedModel.FromLlama2c(checkpoint, tokenizer, device, dtype, "stories260K.bin (embedded)");
    }

    /// <summary>The embedded tok512 tokenizer alone.</summary>
    public static TextTokenizer LoadTokenizer()
    {
        using var tokenizer = Open("QuietStar.Cli.Assets.tok512.model");
        return TextTokenizer.FromSentencePiece(tokenizer);
    }

    private static Stream Open(string resource) =>
        typeof(EmbeddedModel).Assembly.GetManifestResourceStream(resource)
        ?? throw new InvalidOperationException($"The executable lacks its embedded resource '{resource}'; rebuild it.");
}

/// <summary>
/// The arithmetic model (see data/arithmetic): a 1M-parameter Llama pretrained from scratch on worked and terse
/// 3-digit additions, embedded as its Hugging Face folder.
/// </summary>
internal static class EmbeddedArithmeticModel
{
    /// <summary>How diagnostics name the embedded model.</summary>
    public const string Name = "arithmetic (embedded)";

    private const string Prefix = "QuietStar.Cli.Assets.arithmetic.";

    /// <summary>Loads the embedded model onto <paramref name="device"/> in <paramref name="dtype"/>.</summary>
    public static PretrainedModel Load(Device device, ScalarType dtype)
    {
        var assembly = typeof(EmbeddedArithmeticModel).Assembly;
        string folder = Directory.CreateTempSubdirectory("quietstar-arithmetic-").FullName;
        try
        {
            foreach (string resource in assembly.GetManifestResourceNames().Where(name => name.StartsWith(Prefix, StringComparison.Ordinal)))
            {
                using var source = assembly.GetManifestResourceStream(resource)!;
                using var target = File.Create(Path.Combine(folder, resource[Prefix.Length..]));
                source.CopyTo(target);
            }

            return PretrainedModel.FromHuggingFaceFolder(folder, device, dtype);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
