using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Algorithm;

/// <summary>Makes a tokenizer know the START/END thought tokens at exactly the model's ids.</summary>
internal static class ThoughtTokenVocabulary
{
    /// <summary>
    /// Returns <paramref name="tokenizer"/> with START/END registered (they are added when absent) at
    /// <paramref name="startId"/>/<paramref name="endId"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The ids collide with the tokenizer's vocabulary or do not line up with it.</exception>
    public static TextTokenizer Equip(TextTokenizer tokenizer, QuietStarOptions options, int startId, int endId)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (startId < tokenizer.BaseVocabularySize || endId < tokenizer.BaseVocabularySize)
        {
            throw new ArgumentException(
                $"Thought token ids {startId}/{endId} collide with the tokenizer's own vocabulary of {tokenizer.BaseVocabularySize} tokens " +
                $"(ids 0..{tokenizer.BaseVocabularySize - 1}); the thought tokens must come after it. Is this the model's tokenizer?", nameof(tokenizer));
        }

        if (!tokenizer.ExtraSpecialTokens.ContainsKey(options.StartThoughtToken))
        {
            if (tokenizer.VocabularySize != startId)
            {
                throw new ArgumentException(
                    $"The tokenizer has {tokenizer.VocabularySize} ids, so {options.StartThoughtToken} would get id {tokenizer.VocabularySize}, " +
                    $"but the model's START thought token is {startId}. Use the tokenizer the model was built with.", nameof(tokenizer));
            }

            tokenizer = tokenizer.WithExtraSpecialTokens(options.StartThoughtToken, options.EndThoughtToken);
        }

        int start = tokenizer.GetExtraTokenId(options.StartThoughtToken);
        int end = tokenizer.ExtraSpecialTokens.TryGetValue(options.EndThoughtToken, out int id) ? id : -1;
        if (start != startId || end != endId)
        {
            throw new ArgumentException(
                $"The tokenizer maps {options.StartThoughtToken}/{options.EndThoughtToken} to {start}/{end}, but the model uses {startId}/{endId}.", nameof(tokenizer));
        }

        return tokenizer;
    }
}
