using QuietStar.Core.Training;

namespace QuietStar.Core.Loading;

/// <summary>What a <see cref="ModelSource"/> produced: a base model to equip, or an equipped checkpoint.</summary>
internal sealed record LoadedModelSource(PretrainedModel? BaseModel, LoadedCheckpoint? Checkpoint)
{
    public static LoadedModelSource Base(PretrainedModel model) => new(model, null);

    public static LoadedModelSource Equipped(LoadedCheckpoint checkpoint) => new(null, checkpoint);
}
