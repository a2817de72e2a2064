namespace QuietStar.Core.Data;

/// <summary>How a corpus file is read.</summary>
public enum CorpusFileFormat
{
    /// <summary>By extension: <c>.jsonl</c> and <c>.json</c> are JSON Lines, anything else is plain text.</summary>
    Auto,

    /// <summary>Plain UTF-8 text, split into documents by <see cref="TextCorpusOptions.DocumentBoundary"/>.</summary>
    Text,

    /// <summary>JSON Lines: one JSON object per line, one document per object (see <see cref="TextCorpusOptions.JsonlField"/>).</summary>
    Jsonl,
}
