using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Evaluation;

/// <summary>A question as token ids, with where its answer starts.</summary>
/// <param name="Ids">The tokens, BOS first unless cropped.</param>
/// <param name="AnswerStart">Index of the first answer token: the one after the token that completes the prompt.</param>
internal sealed record EncodedQuestion(int[] Ids, int AnswerStart)
{
    /// <summary>
    /// Encodes <paramref name="question"/> (with BOS when the tokenizer has one) and keeps its last
    /// <paramref name="maxLength"/> tokens. The reference crops an over-long sequence at a random offset, which can cut
    /// the answer off; keeping the end always keeps the answer.
    /// </summary>
    /// <exception cref="ArgumentException">The answer alone does not fit in <paramref name="maxLength"/> tokens after a context token.</exception>
    public static EncodedQuestion Encode(TextTokenizer tokenizer, FormattedQuestion question, int maxLength)
    {
        int[] ids = tokenizer.Encode(question.Text, addBos: tokenizer.BosId is not null);
        int answerStart = FindAnswerStart(tokenizer, ids, question.Prompt.Length);
        int cropped = Math.Max(0, ids.Length - maxLength);
        if (answerStart - cropped < 1)
        {
            throw new ArgumentException(
                $"The answer takes {ids.Length - answerStart} tokens, which leaves no context in a sequence of {maxLength}. Use a longer sequence length.");
        }

        return new EncodedQuestion(ids[cropped..], answerStart - cropped);
    }

    /// <summary>
    /// The index after the token that completes the prompt's text, as the reference finds the token that completes the
    /// answer marker <c>"\nA:"</c>: decoding token by token until the prompt's characters are all out.
    /// </summary>
    private static int FindAnswerStart(TextTokenizer tokenizer, int[] ids, int promptLength)
    {
        var decoder = tokenizer.CreateStreamDecoder();
        int decoded = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            decoded += decoder.Append(ids[i]).Length;
            if (decoded >= promptLength)
            {
                return i + 1;
            }
        }

        throw new InvalidOperationException("The tokenizer does not decode the question back to its text, so its answer cannot be located.");
    }
}
