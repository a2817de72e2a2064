namespace QuietStar.Core.Inference;

/// <summary>
/// Passes streamed text through until it reaches a stop string. Text that might be the beginning of a stop string is
/// held back until the next piece settles it, so the released text never contains any part of the stop string.
/// </summary>
internal sealed class StopStringFilter(IReadOnlyList<string> stopStrings)
{
    /// <summary>The longest stop string minus one: how much released text a match can still overlap.</summary>
    private readonly int _overlap = stopStrings.Count == 0 ? 0 : stopStrings.Max(s => s.Length) - 1;

    private string _released = string.Empty; // the last _overlap released characters
    private string _pending = string.Empty;  // text received but not yet released

    /// <summary>True once a stop string has been reached; no text is released after that.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds <paramref name="piece"/> and returns the text that can now be released.</summary>
    public string Push(string piece)
    {
        if (Stopped)
        {
            return string.Empty;
        }

        _pending += piece;
        string window = _released + _pending;
        int stop = FirstStop(window);
        if (stop >= 0)
        {
            Stopped = true;
            return window[_released.Length..Math.Max(stop, _released.Length)];
        }

        int held = LongestStopPrefixAtEnd(window);
        return Release(_pending.Length - Math.Min(held, _pending.Length));
    }

    /// <summary>Adds the final <paramref name="piece"/> and releases everything left (up to a stop string).</summary>
    public string Finish(string piece)
    {
        string text = Push(piece);
        return Stopped ? text : text + Release(_pending.Length);
    }

    private string Release(int count)
    {
        string text = _pending[..count];
        _pending = _pending[count..];
        string released = _released + text;
        _released = released[Math.Max(0, released.Length - _overlap)..];
        return text;
    }

    /// <summary>Index of the earliest stop string in <paramref name="window"/>, or −1.</summary>
    private int FirstStop(string window) =>
        stopStrings.Select(s => window.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();

    /// <summary>Length of the longest end of <paramref name="window"/> that is a proper beginning of some stop string.</summary>
    private int LongestStopPrefixAtEnd(string window)
    {
        for (int length = Math.Min(_overlap, window.Length); length > 0; length--)
        {
            string end = window[^length..];
            if (stopStrings.Any(s => s.Length > length && s.StartsWith(end, StringComparison.Ordinal)))
            {
                return length;
            }
        }

        return 0;
    }
}
