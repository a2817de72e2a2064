using System.Text;
using System.Text.Json;

namespace QuietStar.Core.Tokenization;

public sealed partial class TextTokenizer
{
    /// <summary>The name <see cref="ByteLevel"/>'s files are reported under in messages.</summary>
    private const string ByteLevelName = "built-in byte-level tokenizer";

    /// <summary>
    /// A tokenizer built in, with no files: GPT-2's byte-level alphabet (one token per UTF-8 byte, ids 0–255) and
    /// <c>&lt;|endoftext|&gt;</c> (id 256, BOS and EOS), without merges, so every text round-trips exactly. Meant for
    /// tests and for models trained from scratch; <see cref="SaveTo"/> writes it as <c>vocab.json</c> + <c>merges.txt</c>,
    /// so saved models reload with <see cref="FromFolder"/>.
    /// </summary>
    public static TextTokenizer ByteLevel()
    {
        var vocabulary = new Dictionary<string, int>(257, StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
        {
            vocabulary[ByteLevelAlphabet.ToChar((byte)b).ToString()] = b;
        }

        vocabulary["<|endoftext|>"] = 256;
        byte[] vocab = JsonSerializer.SerializeToUtf8Bytes(vocabulary);
        byte[] merges = Encoding.UTF8.GetBytes("#version: 0.2\n");
        return new TextTokenizer(ByteLevelBpeBaseTokenizer.Load(vocab, ByteLevelName, merges, ByteLevelName), []);
    }
}
