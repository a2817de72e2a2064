namespace QuietStar.Core.Configuration;

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
