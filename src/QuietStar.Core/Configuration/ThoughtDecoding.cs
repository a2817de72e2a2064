namespace QuietStar.Core.Configuration;

/// <summary>When a thinking model thinks while it generates.</summary>
public enum ThoughtDecoding
{
    /// <summary>
    /// A fresh thought before every token, mixed with the base prediction (the reference's decoding: only the first
    /// talk prediction of training, s = 0, is ever used). The default.
    /// </summary>
    EveryToken = 0,

    /// <summary>
    /// Beyond the reference: think once, then speak up to M tokens along that thought's branch, exactly as the
    /// non-myopic loss trains the talk steps: after END the branch reads the tokens it has spoken (teacher forcing in
    /// training) and talk step s is mixed with the base state s tokens on; after M tokens the model thinks afresh. For
    /// an answer of several tokens whose reasoning belongs before it, the thought had before the answer keeps serving
    /// it, where thinking before every token would think afresh inside the answer (docs/experiments.md, part 1).
    /// </summary>
    ThinkThenSpeak = 1,
}
