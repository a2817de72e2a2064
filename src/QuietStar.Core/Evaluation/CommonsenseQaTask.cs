using System.Text.Json;
using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Evaluation;

/// <summary>
/// CommonsenseQA as the reference evaluates it without a prompt:
/// <c>"Q: {stem}\n(A) {text}\n(B) …\n(E) {text}\nA: {letter}\n"</c>, scored by the probability of the letter and the
/// closing newline, each renormalised over the tokens that write the answers A–E and the newline.
/// Records are <c>{"answerKey", "question": {"stem", "choices": [{"label", "text"}, …]}}</c> with choices A–E.
/// </summary>
/// <remarks>
/// The allowed set is every token of the five answer slots <c>" A\n"</c> … <c>" E\n"</c> as the tokenizer writes them
/// after <c>"\nA:"</c>. Where each <c>" X"</c> is one token (Llama/Mistral <c>▁A</c>, GPT-2 <c>ĠA</c>) this is exactly
/// the reference's {A, B, C, D, E, newline}. llama2.c's <c>tok512</c> forces a deviation: it writes <c>" B"</c> as the
/// single piece <c>▁B</c> (368) but <c>" A"</c>, <c>" C"</c>, <c>" D"</c>, <c>" E"</c> as a lone <c>▁</c> (410)
/// followed by the letter. Its allowed set is therefore {▁, A, ▁B, C, D, E, newline}, and for A, C, D, E the <c>▁</c> is
/// scored as well. Leaving <c>▁</c> out would let answer B compete only with the newline, while the others compete
/// with each other after the space, so B's probability would be inflated. With <c>▁</c> in the set, the product
/// approximates the probability of the whole answer <c>" X\n"</c> against the other answers.
/// </remarks>
internal sealed class CommonsenseQaTask : IAnswerProbabilityTask
{
    /// <summary>The task's name.</summary>
    public const string TaskName = "commonsenseqa";

    private static readonly string[] Labels = ["A", "B", "C", "D", "E"];

    /// <inheritdoc/>
    public string Name => TaskName;

    /// <inheritdoc/>
    public int FirstScoredAnswerToken => 0;

    /// <inheritdoc/>
    public FormattedQuestion Format(JsonElement record)
    {
        string key = JsonFields.RequireString(record, "answerKey");
        var question = JsonFields.RequireObject(record, "question");
        string stem = JsonFields.RequireString(question, "stem");
        var choices = JsonFields.RequireArray(question, "choices")
            .Select(c => (Label: JsonFields.RequireString(c, "label"), Text: JsonFields.RequireString(c, "text")))
            .ToList();
        if (!choices.Select(c => c.Label).SequenceEqual(Labels))
        {
            throw new FormatException($"The choices are labelled {string.Join(", ", choices.Select(c => c.Label))}; expected A, B, C, D, E.");
        }

        if (!Labels.Contains(key))
        {
            throw new FormatException($"The answer key \"{key}\" is not one of A, B, C, D, E.");
        }

        string options = string.Join("\n", choices.Select(c => $"({c.Label}) {c.Text}"));
        return new FormattedQuestion($"Q: {stem}\n{options}\nA:", $" {key}\n");
    }

    /// <inheritdoc/>
    public JsonlReadResult<FormattedQuestion> Load(string path, bool skipMalformed) => JsonlFile.Read(path, Format, skipMalformed);

    /// <summary>Every token of the answer slots <c>" A\n"</c> … <c>" E\n"</c> written after <c>"\nA:"</c> (see the remarks).</summary>
    public IReadOnlySet<int> AllowedAnswerTokenIds(TextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return Labels.SelectMany(label => AnswerTokens.After(tokenizer, "\nA:", $" {label}\n")).ToHashSet();
    }
}
