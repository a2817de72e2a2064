namespace QuietStar.Core.Data;

/// <summary>Where one document of a plain-text corpus file ends and the next begins.</summary>
public enum TextDocumentBoundary
{
    /// <summary>Documents are separated by one or more blank lines (the layout of the shipped math corpus). The default.</summary>
    BlankLine,

    /// <summary>Every non-empty line is a document.</summary>
    Line,

    /// <summary>The whole file is one document.</summary>
    File,
}
