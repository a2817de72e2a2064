using static TorchSharp.torch;

namespace QuietStar.Core.Data;

/// <summary>
/// Draws training sequences of L tokens from a corpus, as the reference does: documents in a seeded shuffled order
/// (a new shuffle each epoch), each cropped at a seeded random offset when longer than L, or padded (and masked)
/// when shorter. Deterministic for a seed and resumable through <see cref="State"/> / <see cref="Restore"/>.
/// </summary>
internal sealed class SequenceSampler
{
    private const ulong OrderStream = 0x0D0C_0DE5;
    private const ulong CropStream = 0xC20F_0FF5;

    private readonly TextCorpus corpus;
    private SplitMix64 crops;
    private int[] order;

    /// <summary>Creates a sampler at the start of its stream.</summary>
    /// <param name="corpus">The documents to draw from.</param>
    /// <param name="sequenceLength">Tokens per sequence, L (at least 2).</param>
    /// <param name="seed">The seed of document order and crop offsets.</param>
    /// <exception cref="ArgumentException">The corpus is empty or holds fewer tokens than one sequence.</exception>
    public SequenceSampler(TextCorpus corpus, int sequenceLength, long seed)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 2);
        if (corpus.TokenCount < sequenceLength)
        {
            throw new ArgumentException(
                $"The corpus ({corpus.Description}) holds {corpus.TokenCount} token(s) in {corpus.DocumentCount} document(s), fewer than one " +
                $"sequence of {sequenceLength}; add text or shorten the sequence length.", nameof(corpus));
        }

        this.corpus = corpus;
        SequenceLength = sequenceLength;
        Seed = seed;
        crops = new SplitMix64(SplitMix64.Derive(seed, CropStream));
        order = EpochOrder(0);
    }

    /// <summary>Tokens per sequence.</summary>
    public int SequenceLength { get; }

    /// <summary>The seed.</summary>
    public long Seed { get; }

    /// <summary>Completed passes over the documents.</summary>
    public int Epoch { get; private set; }

    /// <summary>Documents already used in the current epoch.</summary>
    public int Position { get; private set; }

    /// <summary>A snapshot of the sampler's position, for checkpoints.</summary>
    public SamplerState State => new()
    {
        Seed = Seed,
        SequenceLength = SequenceLength,
        Epoch = Epoch,
        Position = Position,
        CropState = crops.State,
        DocumentCount = corpus.DocumentCount,
        TokenCount = corpus.TokenCount,
    };

    /// <summary>Continues from <paramref name="state"/>, saved from a sampler over the same corpus with the same seed and length.</summary>
    /// <exception cref="ArgumentException">The state belongs to another corpus, seed or sequence length, or is out of range.</exception>
    public void Restore(SamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.DocumentCount != corpus.DocumentCount || state.TokenCount != corpus.TokenCount)
        {
            throw new ArgumentException(
                $"The saved data position belongs to a corpus of {state.DocumentCount} documents / {state.TokenCount} tokens, but this corpus " +
                $"({corpus.Description}) has {corpus.DocumentCount} / {corpus.TokenCount}; resume with the same files and validation split.", nameof(state));
        }

        if (state.Seed != Seed || state.SequenceLength != SequenceLength)
        {
            throw new ArgumentException(
                $"The saved data position was drawn with seed {state.Seed} and sequence length {state.SequenceLength}, not {Seed} and {SequenceLength}.", nameof(state));
        }

        if (state.Epoch < 0 || state.Position < 0 || state.Position > corpus.DocumentCount)
        {
            throw new ArgumentException($"The saved data position (epoch {state.Epoch}, document {state.Position}) is out of range.", nameof(state));
        }

        Epoch = state.Epoch;
        Position = state.Position;
        crops = new SplitMix64(state.CropState);
        order = EpochOrder(Epoch);
    }

    /// <summary>Draws the next <paramref name="batchSize"/> sequences.</summary>
    public SequenceBatch NextBatch(int batchSize, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var windows = new int[batchSize][];
        for (int row = 0; row < batchSize; row++)
        {
            windows[row] = NextWindow();
        }

        return SequenceBatch.Create(windows, SequenceLength, corpus.PadTokenId, device ?? CPU);
    }

    /// <summary>The next document, cropped to at most L tokens.</summary>
    private int[] NextWindow()
    {
        if (Position == corpus.DocumentCount)
        {
            Epoch++;
            Position = 0;
            order = EpochOrder(Epoch);
        }

        var document = corpus.GetDocument(order[Position++]);
        int surplus = document.Length - SequenceLength;
        int offset = surplus > 0 ? crops.NextInt(surplus + 1) : 0;
        return document.Slice(offset, Math.Min(SequenceLength, document.Length)).ToArray();
    }

    private int[] EpochOrder(int epoch)
    {
        int[] indices = [.. Enumerable.Range(0, corpus.DocumentCount)];
        new SplitMix64(SplitMix64.Derive(Seed, OrderStream + (ulong)epoch)).Shuffle(indices);
        return indices;
    }
}

/// <summary>
/// Where a <see cref="SequenceSampler"/> is in its stream of sequences: saved in training checkpoints so that a
/// resumed run draws exactly the sequences an uninterrupted run would have drawn.
/// </summary>
internal sealed record SamplerState
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
