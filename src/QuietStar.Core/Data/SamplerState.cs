namespace QuietStar.Core.Data;

/// <summary>
/// Where a <see cref="SequenceSampler"/> is in its stream of sequences: saved in training checkpoints so that a
/// resumed run draws exactly the sequences an uninterrupted run would have drawn.
/// </summary>
public sealed record SamplerState
{
    /// <summary>The sampler's seed.</summary>
    public required long Seed { get; init; }

    /// <summary>Tokens per sequence.</summary>
    public required int SequenceLength { get; init; }

    /// <summary>Completed passes over the documents.</summary>
    public required int Epoch { get; init; }

    /// <summary>Documents already used in the current epoch.</summary>
    public required int Position { get; init; }

    /// <summary>State of the generator that picks crop offsets.</summary>
    public required ulong CropState { get; init; }

    /// <summary>Documents in the corpus the state belongs to (a fingerprint checked on restore).</summary>
    public required int DocumentCount { get; init; }

    /// <summary>Tokens in the corpus the state belongs to (a fingerprint checked on restore).</summary>
    public required long TokenCount { get; init; }
}
