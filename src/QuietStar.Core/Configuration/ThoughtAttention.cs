namespace QuietStar.Core.Configuration;

/// <summary>How thought tokens attend to their prefix and their own earlier thought tokens.</summary>
public enum ThoughtAttention
{
    /// <summary>
    /// Prefix scores once per step plus one dot product per own earlier thought token, joined in one softmax:
    /// O(L² + k·L) per step. The default.
    /// </summary>
    Diagonal,

    /// <summary>
    /// The reference's form: keys concatenated to (k+1)·L and a <c>[tril | I | … | I]</c> mask, O(k·L²) per step.
    /// Kept as the test oracle.
    /// </summary>
    Masked,
}
