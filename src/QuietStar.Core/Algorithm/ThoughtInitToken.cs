using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Algorithm;

/// <summary>Which token of the encoded initialisation text seeds the START/END thought embeddings.</summary>
public enum ThoughtInitRule
{
    /// <summary>
    /// The first token of the encoding that is not a bare SentencePiece dummy-prefix space. Identical to
    /// <see cref="FirstToken"/> for byte-level BPE vocabularies (GPT-2) and for SentencePiece vocabularies where the
    /// prefix merges with the text (Mistral); with llama2.c's tok512, <c>"---"</c> encodes to <c>[▁, -, -, -]</c> and
    /// this picks <c>-</c>, as the reference intended ("the em dash"). The default.
    /// </summary>
    SkipDummyPrefix,

    /// <summary>The first token of the encoding, literally the reference's rule.</summary>
    FirstToken,
}

/// <summary>Chooses the token whose embedding seeds the START/END thought embeddings.</summary>
internal static class ThoughtInitToken
{
    /// <summary>Picks a token from the encoding of the init text according to <paramref name="rule"/>.</summary>
    /// <param name="encoding">Token ids of the init text, encoded without BOS.</param>
    /// <param name="pieceText">Decoded text of a single token id.</param>
    /// <param name="rule">The selection rule.</param>
    /// <exception cref="ArgumentException">The encoding is empty or has only whitespace tokens.</exception>
    public static int Choose(IReadOnlyList<int> encoding, Func<int, string> pieceText, ThoughtInitRule rule)
    {
        ArgumentNullException.ThrowIfNull(encoding);
        ArgumentNullException.ThrowIfNull(pieceText);
        if (encoding.Count == 0)
        {
            throw new ArgumentException("The thought init text encodes to no tokens; choose another ThoughtInitText.", nameof(encoding));
        }

        if (rule == ThoughtInitRule.FirstToken)
        {
            return encoding[0];
        }

        foreach (int id in encoding)
        {
            if (!string.IsNullOrWhiteSpace(pieceText(id).Replace('\u2581', ' ')))
            {
                return id;
            }
        }

        throw new ArgumentException("The thought init text encodes to whitespace only; choose another ThoughtInitText.", nameof(encoding));
    }

    /// <summary>
    /// The tokens that seed START and END under <paramref name="options"/>: <see cref="QuietStarOptions.ThoughtInitText"/>
    /// for START, <see cref="QuietStarOptions.EndThoughtInitText"/> (or the same text) for END, each chosen by
    /// <see cref="QuietStarOptions.ThoughtInitRule"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An init text encodes to no usable token.</exception>
    public static (int Start, int End) ChooseFor(TextTokenizer tokenizer, QuietStarOptions options)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        int Pick(string text) => Choose(tokenizer.Encode(text), id => tokenizer.Decode([id]), options.ThoughtInitRule);
        int start = Pick(options.ThoughtInitText);
        return (start, options.EndThoughtInitText is { } end ? Pick(end) : start);
    }
}
