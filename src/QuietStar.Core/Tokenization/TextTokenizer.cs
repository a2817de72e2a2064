using System.Collections.ObjectModel;
using System.Text;

namespace QuietStar.Core.Tokenization;

/// <summary>
/// Turns text into token ids and back for a Llama-family (SentencePiece) or GPT-2 (byte-level BPE) model, optionally
/// with extra special tokens such as Quiet-STaR's <c>&lt;|startthought|&gt;</c> and <c>&lt;|endthought|&gt;</c>
/// numbered after the model's own vocabulary. Immutable: registering tokens returns a new tokenizer.
/// </summary>
/// <remarks>
/// SentencePiece models encode and decode as llama2.c's <c>run.c</c>: a non-empty text gets a dummy-prefix space
/// (so <c>Encode("---")</c> starts with the id of <c>"▁"</c>), whitespace is kept as written, unknown characters
/// fall back to byte tokens, and on decoding the leading space of the piece right after BOS is dropped. Hence
/// <c>Decode(Encode(text, addBos: true)) == text</c>, while decoding without the BOS shows the dummy-prefix space.
/// </remarks>
public sealed partial class TextTokenizer
{
    private readonly IBaseTokenizer _base;
    private readonly string[] _extraTokens;
    private readonly ExtraTokenSplitter _splitter;

    private TextTokenizer(IBaseTokenizer baseTokenizer, string[] extraTokens)
    {
        _base = baseTokenizer;
        _extraTokens = extraTokens;
        ExtraSpecialTokens = new ReadOnlyDictionary<string, int>(
            extraTokens.Select((token, i) => (token, id: baseTokenizer.VocabularySize + i))
                .ToDictionary(entry => entry.token, entry => entry.id, StringComparer.Ordinal));
        _splitter = new ExtraTokenSplitter(ExtraSpecialTokens);
    }

    /// <summary>Size of the model's own vocabulary (512 for llama2.c's <c>tok512.model</c>, 50257 for GPT-2).</summary>
    public int BaseVocabularySize => _base.VocabularySize;

    /// <summary><see cref="BaseVocabularySize"/> plus the number of extra special tokens.</summary>
    public int VocabularySize => _base.VocabularySize + _extraTokens.Length;

    /// <summary>Beginning-of-sequence id (1 for Llama; <c>&lt;|endoftext|&gt;</c> for GPT-2), if there is one.</summary>
    public int? BosId => _base.BosId;

    /// <summary>End-of-sequence id (2 for Llama; <c>&lt;|endoftext|&gt;</c> for GPT-2), if there is one.</summary>
    public int? EosId => _base.EosId;

    /// <summary>The extra special tokens and their ids, <see cref="BaseVocabularySize"/> onwards in registration order.</summary>
    public IReadOnlyDictionary<string, int> ExtraSpecialTokens { get; }

    /// <summary>Loads a SentencePiece BPE model file (the <c>tokenizer.model</c> of Llama, Mistral or llama2.c).</summary>
    /// <param name="modelPath">Path of the serialized SentencePiece <c>ModelProto</c>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a SentencePiece BPE model.</exception>
    public static TextTokenizer FromSentencePiece(string modelPath)
    {
        byte[] model = ReadFile(modelPath, "SentencePiece model");
        return new TextTokenizer(SentencePieceBaseTokenizer.Load(model, $"'{modelPath}'"), []);
    }

    /// <summary>Reads a SentencePiece BPE model from a stream, which is read to its end and left open.</summary>
    /// <param name="model">The serialized SentencePiece <c>ModelProto</c>.</param>
    /// <exception cref="InvalidDataException">The stream does not hold a SentencePiece BPE model.</exception>
    public static TextTokenizer FromSentencePiece(Stream model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var copy = new MemoryStream();
        model.CopyTo(copy);
        return new TextTokenizer(SentencePieceBaseTokenizer.Load(copy.ToArray(), "The SentencePiece model stream"), []);
    }

    /// <summary>Loads a Hugging Face GPT-2 byte-level BPE vocabulary.</summary>
    /// <param name="vocabJsonPath">Path of <c>vocab.json</c>, which maps each token to its id.</param>
    /// <param name="mergesPath">Path of <c>merges.txt</c>, the merge rules in priority order.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">The files are not a GPT-2 byte-level BPE vocabulary.</exception>
    public static TextTokenizer FromGpt2Bpe(string vocabJsonPath, string mergesPath)
    {
        byte[] vocab = ReadFile(vocabJsonPath, "GPT-2 vocabulary");
        byte[] merges = ReadFile(mergesPath, "GPT-2 merges");
        return new TextTokenizer(ByteLevelBpeBaseTokenizer.Load(vocab, vocabJsonPath, merges, mergesPath), []);
    }

    /// <summary>
    /// Loads the tokenizer in <paramref name="folder"/>: <c>tokenizer.model</c> (SentencePiece) or
    /// <c>vocab.json</c> + <c>merges.txt</c> (GPT-2), with the extra special tokens of
    /// <c>quietstar_special_tokens.json</c> when that file is present (see <see cref="SaveTo"/>).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder holds no tokenizer, or only half of a GPT-2 one.</exception>
    /// <exception cref="InvalidDataException">The folder holds both kinds of tokenizer, or a file is malformed.</exception>
    public static TextTokenizer FromFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Tokenizer folder not found: '{folder}'.");
        }

        TextTokenizer tokenizer = LoadBaseFromFolder(folder);
        return tokenizer.WithExtraSpecialTokens(SpecialTokensFile.ReadIfPresent(folder, tokenizer.BaseVocabularySize));
    }

    /// <summary>
    /// Returns a new tokenizer that also knows <paramref name="tokens"/>, numbered from <see cref="VocabularySize"/>
    /// on in the order given (so from <see cref="BaseVocabularySize"/> on for the first registration). They are
    /// recognised wherever they appear in text and decode to themselves. This tokenizer is left unchanged.
    /// </summary>
    /// <exception cref="ArgumentException">A token is empty, repeated, already registered or in the base vocabulary.</exception>
    public TextTokenizer WithExtraSpecialTokens(params string[] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var registered = new HashSet<string>(_extraTokens, StringComparer.Ordinal);
        foreach (string token in tokens)
        {
            RequireNewToken(token, registered);
        }

        return new TextTokenizer(_base, [.. _extraTokens, .. tokens]);
    }

    /// <summary>The id of an extra special token registered with <see cref="WithExtraSpecialTokens"/>.</summary>
    /// <exception cref="KeyNotFoundException">The token is not registered; the message names it and those that are.</exception>
    public int GetExtraTokenId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (ExtraSpecialTokens.TryGetValue(token, out int id))
        {
            return id;
        }

        string registered = _extraTokens.Length == 0 ? "none" : string.Join(", ", _extraTokens);
        throw new KeyNotFoundException(
            $"\"{token}\" is not an extra special token of this tokenizer (registered: {registered}). " +
            "Register it with WithExtraSpecialTokens.");
    }

    /// <summary>
    /// Encodes <paramref name="text"/>, splitting out the extra special tokens it contains. For SentencePiece the
    /// ids are llama2.c's: e.g. <c>Encode("Once upon a time", addBos: true)</c> is <c>[1, 403, 407, 261, 378]</c>
    /// with <c>tok512.model</c>.
    /// </summary>
    /// <param name="text">The text; an empty text encodes to no tokens (apart from the BOS).</param>
    /// <param name="addBos">Whether to start with <see cref="BosId"/>.</param>
    /// <exception cref="InvalidOperationException"><paramref name="addBos"/> is true but there is no BOS token.</exception>
    public int[] Encode(string text, bool addBos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (addBos)
        {
            ids.Add(BosId ?? throw new InvalidOperationException("This tokenizer has no BOS token; encode with addBos: false."));
        }

        if (text.Length == 0)
        {
            return [.. ids];
        }

        bool startsText = true;
        foreach (ExtraTokenSplitter.Segment segment in _splitter.Split(text))
        {
            if (segment.TokenId is int tokenId)
            {
                ids.Add(tokenId);
            }
            else
            {
                ids.AddRange(_base.EncodeSegment(segment.Text, startsText));
            }

            startsText = false;
        }

        return [.. ids];
    }

    /// <summary>
    /// Decodes a whole sequence, with the same result as feeding it to a <see cref="CreateStreamDecoder">stream
    /// decoder</see> and concatenating its output. BOS and EOS produce no text; bytes that do not form valid UTF-8
    /// become U+FFFD.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, VocabularySize)</c>.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        TokenStreamDecoder decoder = CreateStreamDecoder();
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            text.Append(decoder.Append(id));
        }

        return text.Append(decoder.Flush()).ToString();
    }

    /// <summary>Creates a decoder that turns ids into text one at a time, for streaming generation.</summary>
    internal TokenStreamDecoder CreateStreamDecoder() => new(this);

    /// <summary>
    /// Writes this tokenizer into <paramref name="folder"/> (created if needed): the source tokenizer file(s), as
    /// read, and <c>quietstar_special_tokens.json</c>, so that <see cref="FromFolder"/> restores an identical tokenizer.
    /// Existing files of the same names are overwritten.
    /// </summary>
    public void SaveTo(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        foreach ((string name, byte[] content) in _base.SourceFiles)
        {
            File.WriteAllBytes(Path.Combine(folder, name), content);
        }

        SpecialTokensFile.Write(folder, BaseVocabularySize, _extraTokens);
    }

    /// <summary>Checks that every base token id indexes into a model with <paramref name="modelVocabSize"/> embedding rows.</summary>
    /// <exception cref="InvalidOperationException"><see cref="BaseVocabularySize"/> exceeds <paramref name="modelVocabSize"/>.</exception>
    public void EnsureFits(int modelVocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelVocabSize);
        if (BaseVocabularySize > modelVocabSize)
        {
            throw new InvalidOperationException(
                $"The tokenizer does not fit the model: it has {BaseVocabularySize} base tokens but the model's vocabulary " +
                $"has only {modelVocabSize} entries, so ids {modelVocabSize}..{BaseVocabularySize - 1} would index past " +
                "its embedding. Load the tokenizer that was saved with this model, or a model with a vocabulary at least " +
                "as large as the tokenizer's.");
        }
    }

    /// <summary>
    /// The UTF-8 bytes token <paramref name="id"/> adds to decoded text, given the token before it (null at the start).
    /// </summary>
    internal ReadOnlySpan<byte> GetTokenBytes(int id, int? previousId)
    {
        if (id < 0 || id >= VocabularySize)
        {
            throw new ArgumentOutOfRangeException(
                nameof(id), id, $"Token id {id} is outside this tokenizer's vocabulary of {VocabularySize} ids.");
        }

        return id >= BaseVocabularySize
            ? Encoding.UTF8.GetBytes(_extraTokens[id - BaseVocabularySize])
            : _base.GetTokenBytes(id, followsBos: previousId is not null && previousId == BosId);
    }

    /// <summary>Checks that <paramref name="token"/> is a new token and adds it to <paramref name="registered"/>.</summary>
    private void RequireNewToken(string token, HashSet<string> registered)
    {
        ArgumentException.ThrowIfNullOrEmpty(token, nameof(token));
        if (!registered.Add(token))
        {
            throw new ArgumentException($"\"{token}\" is registered twice as an extra special token.", nameof(token));
        }

        if (_base.TryGetId(token, out int id))
        {
            throw new ArgumentException(
                $"\"{token}\" is already token {id} of the base vocabulary; extra special tokens must be new.", nameof(token));
        }
    }

    private static TextTokenizer LoadBaseFromFolder(string folder)
    {
        string model = Path.Combine(folder, SentencePieceBaseTokenizer.ModelFileName);
        string vocab = Path.Combine(folder, ByteLevelBpeBaseTokenizer.VocabFileName);
        string merges = Path.Combine(folder, ByteLevelBpeBaseTokenizer.MergesFileName);
        bool hasSentencePiece = File.Exists(model);
        bool hasGpt2 = File.Exists(vocab) || File.Exists(merges);
        return (hasSentencePiece, hasGpt2) switch
        {
            (true, false) => FromSentencePiece(model),
            (false, true) => FromGpt2Bpe(vocab, merges),
            (true, true) => throw new InvalidDataException(
                $"'{folder}' holds both a SentencePiece tokenizer ({SentencePieceBaseTokenizer.ModelFileName}) and a GPT-2 " +
                $"one ({ByteLevelBpeBaseTokenizer.VocabFileName}/{ByteLevelBpeBaseTokenizer.MergesFileName}); remove the one " +
                "that does not belong to the model."),
            (false, false) => throw new FileNotFoundException(
                $"No tokenizer found in '{folder}': looked for {SentencePieceBaseTokenizer.ModelFileName} (SentencePiece) " +
                $"or {ByteLevelBpeBaseTokenizer.VocabFileName} + {ByteLevelBpeBaseTokenizer.MergesFileName} (GPT-2 byte-level BPE)."),
        };
    }

    private static byte[] ReadFile(string path, string description)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return File.Exists(path)
            ? File.ReadAllBytes(path)
            : throw new FileNotFoundException($"{description} file not found: '{path}'.", path);
    }
}
