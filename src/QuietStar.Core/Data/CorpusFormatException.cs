namespace QuietStar.Core.Data;

/// <summary>A corpus file holds a line that cannot be read as a document; the message names the file and line.</summary>
public sealed class CorpusFormatException : FormatException
{
    /// <summary>Creates the exception for line <paramref name="lineNumber"/> (1-based) of <paramref name="filePath"/>.</summary>
    public CorpusFormatException(string filePath, int lineNumber, string problem, Exception? innerException = null)
        : base($"'{filePath}' line {lineNumber}: {problem}", innerException)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
    }

    /// <summary>The file (or source name) with the bad line.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line number.</summary>
    public int LineNumber { get; }
}
