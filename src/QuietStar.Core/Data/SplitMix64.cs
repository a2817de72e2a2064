namespace QuietStar.Core.Data;

/// <summary>
/// A tiny seeded random generator (Steele, Lea and Flood's SplitMix64) whose whole state is one 64-bit number, so
/// that a data sampler's position can be saved in a checkpoint and restored exactly. Not for cryptography.
/// </summary>
internal sealed class SplitMix64
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    public SplitMix64(ulong state) => State = state;

    /// <summary>The complete state: a generator created with it continues the same sequence.</summary>
    public ulong State { get; private set; }

    /// <summary>A well-mixed 64-bit value derived from <paramref name="seed"/> and a <paramref name="stream"/> label.</summary>
    public static ulong Derive(long seed, ulong stream) => Mix(unchecked((ulong)seed + Mix(stream + Gamma)));

    /// <summary>The first output of a stream started at <paramref name="state"/>: a well-mixed seed derived from a counter.</summary>
    public static ulong First(ulong state) => Mix(unchecked(state + Gamma));

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        State = unchecked(State + Gamma);
        return Mix(State);
    }

    /// <summary>A uniform integer in [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        ulong bound = (ulong)exclusiveMax;
        ulong limit = ulong.MaxValue - (ulong.MaxValue % bound);
        ulong value;
        do
        {
            value = NextUInt64();
        }
        while (value >= limit);

        return (int)(value % bound);
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle(int[] items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
