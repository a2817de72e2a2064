using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Evaluation;

/// <summary>Finds the token ids a tokenizer writes answer text as, in the context the answer appears in.</summary>
internal static class AnswerTokens
{
    /// <summary>The tokens <paramref name="text"/> adds when written right after <paramref name="context"/>.</summary>
    /// <exception cref="InvalidOperationException">The tokenizer merges the start of <paramref name="text"/> into the end of <paramref name="context"/>.</exception>
    public static int[] After(TextTokenizer tokenizer, string context, string text)
    {
        int[] prefix = tokenizer.Encode(context), full = tokenizer.Encode(context + text);
        if (!full.AsSpan().StartsWith(prefix))
        {
            throw new InvalidOperationException(
                $"The tokenizer merges \"{Escape(text)}\" into the preceding \"{Escape(context)}\", so the answer has no tokens of its own.");
        }

        return full[prefix.Length..];
    }

    /// <summary>The single token <paramref name="symbol"/> is written as right after <paramref name="context"/>.</summary>
    /// <exception cref="InvalidOperationException">The tokenizer merges the symbol with its context or needs several tokens for it.</exception>
    public static int SingleTokenAfter(TextTokenizer tokenizer, string context, string symbol)
    {
        int[] tokens = After(tokenizer, context, symbol);
        return tokens.Length == 1
            ? tokens[0]
            : throw new InvalidOperationException(
                $"The tokenizer writes \"{Escape(symbol)}\" after \"{Escape(context)}\" as {tokens.Length} tokens; one is needed.");
    }

    private static string Escape(string text) => text.Replace("\n", "\\n", StringComparison.Ordinal);
}
