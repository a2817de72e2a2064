namespace QuietStar.Core.Model;

/// <summary>How the queries of one forward call may attend to keys.</summary>
internal enum AttentionKind
{
    /// <summary>Ordinary causal attention over the cached prefix and the new tokens, with optional key padding.</summary>
    Causal,

    /// <summary>An explicit boolean mask over the cached prefix and the new tokens (true = may attend).</summary>
    ExplicitMask,

    /// <summary>
    /// Parallel branches: query <c>t</c> attends to the sequential (prefix) keys allowed by a prefix mask, plus the key
    /// at the same position <c>t</c> of every branch block appended so far (this call's included). The new keys become
    /// a new branch block instead of extending the prefix. This is the O(L² + k·L) form of block-diagonal attention.
    /// </summary>
    Branches,
}
