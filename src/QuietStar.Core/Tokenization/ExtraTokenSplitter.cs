namespace QuietStar.Core.Tokenization;

/// <summary>Cuts text at every occurrence of an extra special token (the longest one wins where several start).</summary>
internal sealed class ExtraTokenSplitter
{
    private readonly IReadOnlyDictionary<string, int> _tokens;

    /// <summary>Creates a splitter for the given tokens and their ids.</summary>
    public ExtraTokenSplitter(IReadOnlyDictionary<string, int> tokens) => _tokens = tokens;

    /// <summary>
    /// Splits <paramref name="text"/> into alternating plain text and token ids: always a text first, then for
    /// each token found its id followed by the text after it. Texts may be empty.
    /// </summary>
    public IEnumerable<Segment> Split(string text)
    {
        int start = 0;
        while (FindNext(text, start) is (int index, string token))
        {
            yield return new Segment(text[start..index], null);
            yield return new Segment("", _tokens[token]);
            start = index + token.Length;
        }

        yield return new Segment(text[start..], null);
    }

    private (int Index, string Token)? FindNext(string text, int start)
    {
        (int Index, string Token)? best = null;
        foreach (string token in _tokens.Keys)
        {
            int index = text.IndexOf(token, start, StringComparison.Ordinal);
            if (index >= 0 && (best is null || index < best.Value.Index
                || (index == best.Value.Index && token.Length > best.Value.Token.Length)))
            {
                best = (index, token);
            }
        }

        return best;
    }

    /// <summary>A piece of split text: plain <see cref="Text"/>, or the extra token <see cref="TokenId"/>.</summary>
    public readonly record struct Segment(string Text, int? TokenId);
}
