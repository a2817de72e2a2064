using QuietStar.Core.Common;

namespace QuietStar.Core.Data;

/// <summary>How <see cref="TextCorpus"/> reads its files into documents.</summary>
public sealed record TextCorpusOptions
{
    /// <summary>The file format; <see cref="CorpusFileFormat.Auto"/> (by extension) by default.</summary>
    public CorpusFileFormat Format { get; set; } = CorpusFileFormat.Auto;

    /// <summary>How plain-text files are split into documents. Default <see cref="TextDocumentBoundary.BlankLine"/>.</summary>
    public TextDocumentBoundary DocumentBoundary { get; set; } = TextDocumentBoundary.BlankLine;

    /// <summary>
    /// The JSON Lines field holding a document's text, default <c>"text"</c>. A dotted path reaches into nested
    /// objects (<c>"question.stem"</c>). Ignored when <see cref="JsonlTemplate"/> is set.
    /// </summary>
    public string JsonlField { get; set; } = "text";

    /// <summary>
    /// A template that builds a document from several JSON Lines fields, e.g. <c>"{question}\n{answer}"</c>; each
    /// <c>{path}</c> is replaced by that field (dotted paths allowed), <c>{{</c> and <c>}}</c> are literal braces.
    /// Null (the default) uses <see cref="JsonlField"/>.
    /// </summary>
    public string? JsonlTemplate { get; set; }

    /// <summary>
    /// What to do with a malformed JSON Lines line (not JSON, not an object, or missing a field): false (the default)
    /// stops with a <see cref="CorpusFormatException"/> naming the file and line; true skips it and counts it in
    /// <see cref="TextCorpus.SkippedMalformed"/>.
    /// </summary>
    public bool SkipMalformed { get; set; }

    /// <summary>Checks the options; the exception names the option.</summary>
    /// <exception cref="ArgumentException">An option is out of range or the template is malformed.</exception>
    public void Validate()
    {
        OptionCheck.Require<TextCorpusOptions>(Enum.IsDefined(Format), nameof(Format), $"has an unknown value {Format}.");
        OptionCheck.Require<TextCorpusOptions>(Enum.IsDefined(DocumentBoundary), nameof(DocumentBoundary), $"has an unknown value {DocumentBoundary}.");
        OptionCheck.Require<TextCorpusOptions>(JsonlTemplate is not null || !string.IsNullOrWhiteSpace(JsonlField), nameof(JsonlField),
            "must name a field (or set JsonlTemplate).");

        // The field paths and the template, whose messages name the option too.
        _ = JsonlRecordFormatter.Create(this);
    }
}

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
