using QuietStar.Core.Algorithm;
using QuietStar.Core.Tokenization;

namespace QuietStar.Core.Checkpoints;

/// <summary>What <see cref="QuietStarCheckpoint.Load"/> restores. The caller owns (and disposes) the model.</summary>
/// <param name="Folder">The checkpoint folder (full path).</param>
/// <param name="Model">The model with its trained START/END embeddings and mixing head.</param>
/// <param name="Tokenizer">The tokenizer, with the thought tokens registered at the model's ids.</param>
/// <param name="Training">Where training stood; null for a checkpoint saved for inference only.</param>
public sealed record LoadedCheckpoint(string Folder, QuietStarModel Model, TextTokenizer Tokenizer, TrainingState? Training);
