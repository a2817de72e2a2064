namespace QuietStar.Core.Evaluation.Datasets;

/// <summary>The records read from a JSON Lines file.</summary>
/// <typeparam name="T">The parsed record type.</typeparam>
/// <param name="Items">The parsed records, in file order.</param>
/// <param name="SkippedLines">Malformed lines skipped (only ever non-zero when skipping was asked for).</param>
public sealed record JsonlReadResult<T>(IReadOnlyList<T> Items, int SkippedLines);
