using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Inference;

/// <summary>Checks a generation request and encodes its prompts, before any tensor work.</summary>
internal static class PromptEncoding
{
    /// <summary>Validates <paramref name="options"/> and encodes every prompt (with BOS when the tokenizer has one).</summary>
    /// <exception cref="ArgumentException">Invalid options, no prompts, or an empty prompt without a BOS token to start from.</exception>
    public static int[][] Encode(TextTokenizer tokenizer, IReadOnlyList<string> prompts, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (prompts.Count == 0)
        {
            throw new ArgumentException("Give at least one prompt.", nameof(prompts));
        }

        return prompts.Select(prompt => Encode(tokenizer, prompt)).ToArray();
    }

    private static int[] Encode(TextTokenizer tokenizer, string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        int[] ids = tokenizer.Encode(prompt, addBos: tokenizer.BosId is not null);
        return ids.Length > 0
            ? ids
            : throw new ArgumentException("The prompt is empty and the tokenizer has no BOS token to start from; give a prompt.", nameof(prompt));
    }
}
