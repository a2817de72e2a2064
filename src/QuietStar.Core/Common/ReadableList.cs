using System.Collections;
using System.Globalization;

namespace QuietStar.Core.Common;

/// <summary>
/// An immutable list that prints its items (<c>[2.31, 2.29]</c>) and compares by them, for list-valued members of
/// public records: a record's <c>ToString()</c> otherwise shows the list's type name (for a collection expression,
/// <c>&lt;&gt;z__ReadOnlyList`1[System.Double]</c>) and its equality compares references.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class ReadableList<T> : IReadOnlyList<T>, IEquatable<ReadableList<T>>
{
    private readonly T[] items;

    private ReadableList(T[] items) => this.items = items;

    /// <inheritdoc />
    public int Count => items.Length;

    /// <inheritdoc />
    public T this[int index] => items[index];

    /// <summary>A copy of <paramref name="source"/> (itself when it already is one).</summary>
    public static ReadableList<T> Of(IEnumerable<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source as ReadableList<T> ?? new ReadableList<T>([.. source]);
    }

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)items).GetEnumerator();

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => items.GetEnumerator();

    /// <inheritdoc />
    public bool Equals(ReadableList<T>? other) => other is not null && items.AsSpan().SequenceEqual(other.items);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ReadableList<T>);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    /// <summary>The items in brackets, invariant culture: <c>[2.31, 2.29]</c>.</summary>
    public override string ToString() =>
        "[" + string.Join(", ", items.Select(item => item is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : item?.ToString())) + "]";
}

/// <summary>Creates <see cref="ReadableList{T}"/>s.</summary>
internal static class ReadableList
{
    /// <summary>A printable, value-comparing copy of <paramref name="source"/>.</summary>
    public static ReadableList<T> Of<T>(IEnumerable<T> source) => ReadableList<T>.Of(source);
}
