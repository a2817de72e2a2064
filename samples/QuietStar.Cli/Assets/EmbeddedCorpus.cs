namespace QuietStar.Cli.Assets;

/// <summary>The embedded math corpus: GSM8K train problems with worked solutions (see data/math-corpus).</summary>
internal static class EmbeddedCorpus
{
    /// <summary>How diagnostics name the embedded corpus.</summary>
    public const string Name = "gsm8k_train.txt (embedded)";

    /// <summary>Reads the whole corpus text.</summary>
    public static string ReadAll()
    {
        using var stream = typeof(EmbeddedCorpus).Assembly.GetManifestResourceStream("QuietStar.Cli.Assets.gsm8k_train.txt")
            ?? throw new InvalidOperationException("The executable lacks its embedded corpus; rebuild it.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
