using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Data;

/// <summary>
/// A tokenised text corpus: documents read once from plain-text or JSON Lines files, each encoded as
/// <c>[BOS] text [EOS]</c> (each marker only if the tokenizer defines it). Immutable; the trainer holds out
/// <c>TrainingOptions.ValidationFraction</c> of its documents for validation and draws training sequences from the rest.
/// </summary>
public sealed class TextCorpus
{
    private const ulong SplitStream = 0x5EED_5B17;
    private const int MaxLoggedSkips = 10;
    private const int SniffedBytes = 8192;
    private const double MaxControlShare = 0.05;
    private const string TextAdvice =
        "Pass a UTF-8 plain-text (.txt) or JSON Lines (.jsonl) file; convert text in another encoding to UTF-8 first (e.g. iconv -t UTF-8).";

    /// <summary>UTF-8 that throws on invalid bytes instead of replacing them with U+FFFD.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly int[][] documents;

    private TextCorpus(int[][] documents, int padTokenId, int skippedMalformed, string description)
    {
        this.documents = documents;
        PadTokenId = padTokenId;
        SkippedMalformed = skippedMalformed;
        Description = description;
        TokenCount = documents.Sum(d => (long)d.Length);
    }

    /// <summary>Number of documents.</summary>
    public int DocumentCount => documents.Length;

    /// <summary>Number of tokens over all documents, BOS/EOS markers included.</summary>
    public long TokenCount { get; }

    /// <summary>The id that pads sequences longer than a document: the tokenizer's EOS (as the reference pads), else 0.</summary>
    public int PadTokenId { get; }

    /// <summary>Malformed JSON Lines lines that were skipped (with <see cref="TextCorpusOptions.SkipMalformed"/>).</summary>
    public int SkippedMalformed { get; }

    /// <summary>Where the documents came from, for messages (file names, or "validation split of …").</summary>
    public string Description { get; }

    /// <summary>The token ids of document <paramref name="index"/>.</summary>
    public ReadOnlySpan<int> GetDocument(int index) => documents[index];

    /// <summary>Reads and tokenises one file.</summary>
    /// <inheritdoc cref="Load(IEnumerable{string}, TextTokenizer, TextCorpusOptions?, ILogger?)"/>
    public static TextCorpus Load(string path, TextTokenizer tokenizer, TextCorpusOptions? options = null, ILogger? logger = null) =>
        Load([path], tokenizer, options, logger);

    /// <summary>Reads and tokenises the documents of every file in <paramref name="paths"/>, in order.</summary>
    /// <param name="paths">Plain-text or JSON Lines files (see <see cref="TextCorpusOptions.Format"/>).</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="options">How files are split into documents; defaults when null.</param>
    /// <param name="logger">Receives a warning per skipped line (the first few) and a summary.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="CorpusFormatException">A JSON Lines line is malformed and skipping is off (names file and line).</exception>
    /// <exception cref="InvalidDataException">
    /// A file is not text (invalid UTF-8, a NUL byte, or mostly control characters in its first 8 KB; the message names
    /// the file and what to pass instead), or holds no documents (empty, blank, or all lines skipped).
    /// </exception>
    /// <exception cref="ArgumentException">No paths, or invalid options (the message names the option).</exception>
    public static TextCorpus Load(IEnumerable<string> paths, TextTokenizer tokenizer, TextCorpusOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = paths.ToList();
        if (files.Count == 0)
        {
            throw new ArgumentException("Give at least one corpus file.", nameof(paths));
        }

        string? missing = files.FirstOrDefault(file => !File.Exists(file));
        if (missing is not null)
        {
            throw new FileNotFoundException($"Corpus file '{missing}' does not exist.", missing);
        }

        foreach (string file in files)
        {
            EnsureText(file);
        }

        return Build(files.Select(file => (Source: file, Open: (Func<TextReader>)(() => new StreamReader(file, StrictUtf8, detectEncodingFromByteOrderMarks: true)))),
            tokenizer, options, logger, string.Join(", ", files.Select(Path.GetFileName)));
    }

    /// <summary>Reads and tokenises the documents of <paramref name="reader"/> (e.g. an embedded resource).</summary>
    /// <param name="reader">The text; read to its end, not disposed.</param>
    /// <param name="sourceName">A name for messages; its extension picks the format under <see cref="CorpusFileFormat.Auto"/>.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="options">How the text is split into documents; defaults when null.</param>
    /// <param name="logger">Receives a warning per skipped line (the first few) and a summary.</param>
    /// <exception cref="CorpusFormatException">A JSON Lines line is malformed and skipping is off.</exception>
    /// <exception cref="InvalidDataException">The text holds no documents.</exception>
    public static TextCorpus FromReader(TextReader reader, string sourceName, TextTokenizer tokenizer, TextCorpusOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        return Build([(sourceName, () => new BorrowedReader(reader))], tokenizer, options, logger, sourceName);
    }

    /// <summary>
    /// Holds out documents for validation: a seeded shuffle picks round(<paramref name="validationFraction"/> · N)
    /// documents (at least one when the fraction is positive); both parts keep the corpus order. The same seed gives
    /// the same split.
    /// </summary>
    /// <param name="validationFraction">Fraction of documents held out, in [0, 1); 0 gives an empty validation part.</param>
    /// <param name="seed">The split's seed.</param>
    /// <exception cref="ArgumentException">The fraction is out of range, or leaves no training or no validation document.</exception>
    internal CorpusSplit Split(double validationFraction, long seed)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in [0, 1).");
        }

        int held = validationFraction == 0 ? 0 : Math.Max(1, (int)Math.Round(validationFraction * DocumentCount));
        if (held >= DocumentCount)
        {
            throw new ArgumentException(
                $"A validation fraction of {validationFraction} of {DocumentCount} document(s) in {Description} leaves no training document; " +
                "add documents or lower the validation fraction (0 disables validation).", nameof(validationFraction));
        }

        int[] order = [.. Enumerable.Range(0, DocumentCount)];
        new SplitMix64(SplitMix64.Derive(seed, SplitStream)).Shuffle(order);
        var validation = order[..held].Order().ToArray();
        var train = order[held..].Order().ToArray();
        return new CorpusSplit(Subset(train, $"training split of {Description}"), Subset(validation, $"validation split of {Description}"));
    }

    private TextCorpus Subset(int[] indices, string description) =>
        new([.. indices.Select(i => documents[i])], PadTokenId, SkippedMalformed, description);

    private static TextCorpus Build(IEnumerable<(string Source, Func<TextReader> Open)> sources, TextTokenizer tokenizer,
        TextCorpusOptions? options, ILogger? logger, string description)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        options ??= new TextCorpusOptions();
        options.Validate();
        logger ??= NullLogger.Instance;
        var reader = new CorpusFileReader(options, JsonlRecordFormatter.Create(options));
        var documents = new List<int[]>();
        foreach (var (source, open) in sources)
        {
            int before = documents.Count, skippedBefore = reader.Skipped.Count;
            using (var text = open())
            {
                try
                {
                    documents.AddRange(reader.ReadDocuments(text, source).Select(document => Tokenize(tokenizer, document)));
                }
                catch (DecoderFallbackException e)
                {
                    throw new InvalidDataException($"Corpus file '{source}' is not text: it holds invalid UTF-8 after its first {SniffedBytes / 1024} KB. {TextAdvice}", e);
                }
            }

            if (documents.Count == before)
            {
                int skipped = reader.Skipped.Count - skippedBefore;
                throw new InvalidDataException(skipped == 0
                    ? $"Corpus file '{source}' is empty: it holds no documents."
                    : $"Corpus file '{source}' holds no documents: all {skipped} non-blank line(s) were malformed and skipped.");
            }
        }

        LogSkipped(logger, reader.Skipped);
        return new TextCorpus([.. documents], tokenizer.EosId ?? 0, reader.Skipped.Count, description);
    }

    /// <summary>
    /// Refuses a file that is not text by its first 8 KB: a NUL byte, invalid UTF-8, or more than 5 % control
    /// characters (other than tab, line feed, carriage return and form feed). A file with a UTF-16/32 byte-order mark
    /// is left to the reader, which decodes it.
    /// </summary>
    private static void EnsureText(string file)
    {
        byte[] buffer = new byte[SniffedBytes];
        int length;
        bool whole;
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            whole = stream.Position == stream.Length;
        }

        ReadOnlySpan<byte> head = buffer.AsSpan(0, length);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) ||
            head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]))
        {
            return;
        }

        int skipped = head.StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        head = head[skipped..];
        int nul = head.IndexOf((byte)0);
        if (nul >= 0)
        {
            throw NotText(file, $"it holds a NUL byte at byte {nul + skipped}, as binary files do");
        }

        char[] chars = new char[head.Length];
        var status = Utf8.ToUtf16(head, chars, out int read, out int written, replaceInvalidSequences: false, isFinalBlock: whole);
        if (status == OperationStatus.InvalidData)
        {
            throw NotText(file, $"it holds invalid UTF-8 at byte {read + skipped}");
        }

        int control = 0;
        foreach (char c in chars.AsSpan(0, written))
        {
            control += char.IsControl(c) && c is not ('\t' or '\n' or '\r' or '\f') ? 1 : 0;
        }

        if (written > 0 && control > MaxControlShare * written)
        {
            throw NotText(file, $"{control} of its first {written} characters are control characters, as in binary files");
        }
    }

    private static InvalidDataException NotText(string file, string reason) =>
        new($"Corpus file '{file}' is not text: {reason}. {TextAdvice}");

    private static int[] Tokenize(TextTokenizer tokenizer, string document)
    {
        int[] ids = tokenizer.Encode(document, addBos: tokenizer.BosId is not null);
        return tokenizer.EosId is int eos ? [.. ids, eos] : ids;
    }

    private static void LogSkipped(ILogger logger, List<CorpusFormatException> skipped)
    {
        foreach (var problem in skipped.Take(MaxLoggedSkips))
        {
            logger.LogWarning("Skipped a malformed corpus line: {Problem}", problem.Message);
        }

        if (skipped.Count > 0)
        {
            logger.LogWarning("Skipped {Count} malformed corpus line(s) in total.", skipped.Count);
        }
    }

    /// <summary>Lets <see cref="Build"/> dispose what it opens without closing a caller's reader.</summary>
    private sealed class BorrowedReader(TextReader inner) : TextReader
    {
        public override string? ReadLine() => inner.ReadLine();

        public override string ReadToEnd() => inner.ReadToEnd();

        public override int Peek() => inner.Peek();

        public override int Read() => inner.Read();
    }
}

/// <summary>A corpus split by document into a training part and a held-out validation part.</summary>
/// <param name="Train">Documents to train on.</param>
/// <param name="Validation">Held-out documents (none when the validation fraction is 0).</param>
internal sealed record CorpusSplit(TextCorpus Train, TextCorpus Validation);
