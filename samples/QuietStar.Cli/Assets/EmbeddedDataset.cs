namespace QuietStar.Cli.Assets;

/// <summary>An evaluation data set embedded in the executable (JSON Lines; see data/gsm8k and data/commonsenseqa).</summary>
/// <param name="Name">How results name it.</param>
/// <param name="Resource">The manifest resource name.</param>
internal sealed record EmbeddedDataset(string Name, string Resource)
{
    /// <summary>The 1,131 shared GSM8K test problems, <c>data/gsm8k/test_shared.jsonl</c>.</summary>
    public static EmbeddedDataset Gsm8kTest { get; } = new("gsm8k/test_shared.jsonl (embedded)", "QuietStar.Cli.Assets.gsm8k_test_shared.jsonl");

    /// <summary>The 1,047 shared CommonsenseQA dev questions, <c>data/commonsenseqa/dev_shared.jsonl</c>.</summary>
    public static EmbeddedDataset CommonsenseQaDev { get; } = new("commonsenseqa/dev_shared.jsonl (embedded)", "QuietStar.Cli.Assets.commonsenseqa_dev_shared.jsonl");

    /// <summary>The data set's JSON Lines.</summary>
    /// <exception cref="InvalidOperationException">The executable lacks the resource.</exception>
    public TextReader Open() => new StreamReader(typeof(EmbeddedDataset).Assembly.GetManifestResourceStream(Resource)
        ?? throw new InvalidOperationException($"The executable lacks its embedded data set '{Name}'; rebuild it."));
}
