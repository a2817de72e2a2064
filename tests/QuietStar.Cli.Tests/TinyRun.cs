using System.Text;
using Xunit;

namespace QuietStar.Cli.Tests;

/// <summary>
/// A tiny model trained once with thoughts by <c>quietstar train --init</c> (hidden 16, 2 layers, 2 heads, the
/// embedded tok512 tokenizer; 2 steps of 2 sequences of 16 tokens, 2-token thoughts), and its files: the verbs that
/// load a model run on its checkpoint in seconds.
/// </summary>
public sealed class TinyRun : IDisposable
{
    private readonly TempFolder folder = new();

    /// <summary>Writes the configuration and the data, and trains.</summary>
    public TinyRun()
    {
        File.WriteAllText(ConfigPath, """
            { "model_type": "llama", "vocab_size": 512, "hidden_size": 16, "intermediate_size": 32,
              "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2,
              "max_position_embeddings": 1024, "rms_norm_eps": 1e-5, "tie_word_embeddings": false,
              "bos_token_id": 1, "eos_token_id": 2 }
            """);
        File.WriteAllText(DataPath, Documents(40));
        Train = CliRun.Of([.. TrainArguments(RunFolder), "--thought-tokens", "2", "--talk-tokens", "2"]);
    }

    /// <summary>The Hugging Face configuration <c>--init</c> reads.</summary>
    public string ConfigPath => folder.File("tiny.json");

    /// <summary>The training (and evaluation) text: documents separated by blank lines.</summary>
    public string DataPath => folder.File("data.txt");

    /// <summary>The run folder of the training run (<c>--out</c>).</summary>
    public string RunFolder => folder.File("run");

    /// <summary>The checkpoint the training run wrote.</summary>
    public string Checkpoint => Path.Combine(RunFolder, "checkpoint");

    /// <summary>The training run's outcome.</summary>
    public CliRun Train { get; }

    /// <summary>A fresh path inside the fixture's folder for a test's own output.</summary>
    public string NewPath(string name) => folder.File($"{name}-{Guid.NewGuid():N}");

    /// <summary>The arguments of a tiny training run writing to <paramref name="runFolder"/>.</summary>
    public string[] TrainArguments(string runFolder) =>
        ["train", "--init", ConfigPath, "--data", DataPath, "--steps", "2", "--seq-len", "16", "--batch", "2", "--eval-every", "0", "--out", runFolder];

    /// <inheritdoc />
    public void Dispose() => folder.Dispose();

    private static string Documents(int count)
    {
        string[] words = "the cat sat on a mat and then ran to see the big red dog who was very happy today".Split(' ');
        var random = new Random(1);
        var text = new StringBuilder();
        for (int d = 0; d < count; d++)
        {
            text.AppendLine(string.Join(' ', Enumerable.Range(0, 30).Select(_ => words[random.Next(words.Length)])) + ".");
            text.AppendLine();
        }

        return text.ToString();
    }
}

/// <summary>The tests that share <see cref="TinyRun"/>: they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class TinyRunCollection : ICollectionFixture<TinyRun>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "tiny run";
}
