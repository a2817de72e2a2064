namespace QuietStar.Core.Data;

/// <summary>A corpus split by document into a training part and a held-out validation part.</summary>
/// <param name="Train">Documents to train on.</param>
/// <param name="Validation">Held-out documents (none when the validation fraction is 0).</param>
public sealed record CorpusSplit(TextCorpus Train, TextCorpus Validation);
