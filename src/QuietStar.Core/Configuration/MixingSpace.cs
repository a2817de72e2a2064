namespace QuietStar.Core.Configuration;

/// <summary>Where the mixing head blends the base and post-thought predictions. The two are the same function.</summary>
public enum MixingSpace
{
    /// <summary>
    /// <c>(1−w)·z_base(t+s) + w·lm_head(h_thought)</c>: reuses the base logits, so at initialisation (w = 0) the talk
    /// logits equal the base logits bit for bit. The default.
    /// </summary>
    Logits,

    /// <summary><c>lm_head((1−w)·h_base(t+s) + w·h_thought)</c>, literally as the reference computes it.</summary>
    Hidden,
}
