namespace QuietStar.Core.Inference;

/// <summary>The token-by-token loop shared by the generators: prefill, then one new token per row per step.</summary>
internal static class DecodingLoop
{
    /// <summary>
    /// Runs <paramref name="step"/> until every row has stopped or <see cref="GenerationOptions.MaxTokens"/> tokens were
    /// generated, yielding each accepted token's piece with its row. Stopped rows keep running (their tokens are ignored).
    /// </summary>
    /// <param name="rows">The rows, which collect text and stop reasons.</param>
    /// <param name="promptIds">The padded prompts, row-major <c>[B × L]</c>: the first step's input.</param>
    /// <param name="options">Token budget and whether end-of-text tokens stop.</param>
    /// <param name="stopTokenIds">The end-of-text tokens.</param>
    /// <param name="step">Feeds new tokens (row-major, one slice per row) and returns each row's next token.</param>
    public static IEnumerable<(int Row, GeneratedPiece Piece)> Run(
        DecodingRow[] rows, long[] promptIds, GenerationOptions options, IReadOnlySet<int> stopTokenIds, Func<long[], int[]> step)
    {
        long[] input = promptIds;
        for (int n = 0; n < options.MaxTokens; n++)
        {
            int[] next = step(input);
            bool last = n == options.MaxTokens - 1;
            for (int r = 0; r < rows.Length; r++)
            {
                if (!rows[r].Finished)
                {
                    yield return (r, rows[r].Accept(next[r], options.StopAtEos && stopTokenIds.Contains(next[r]), last));
                }
            }

            if (rows.All(row => row.Finished))
            {
                yield break;
            }

            input = next.Select(id => (long)id).ToArray();
        }
    }
}
