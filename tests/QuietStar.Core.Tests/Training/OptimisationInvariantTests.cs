using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training;

[Trait("Category", "Invariant")]
public sealed class OptimisationInvariantTests
{
    [Fact]
    public void One_adamw_step_moves_start_and_end_a_hundred_times_more_than_an_ordinary_weight()
    {
        using var scope = torch.NewDisposeScope();
        const double lr = 1e-4;
        var options = TinyQuietStar.SmallOptions() with { PolicyLossWeight = 1.0 };
        using var model = TinyQuietStar.Create(options, seed: 6, liveHead: true);
        var before = Snapshot(model);
        var optimizer = torch.optim.AdamW(model.parameters(), lr: lr, weight_decay: 0);
        new QuietStarObjective(model).Compute(TinyModels.RandomIds(2, 8, 96, 7), null, new Generator(1)).Loss.backward();
        optimizer.step();

        double Moved(string name) => TinyQuietStar.MaxAbs(EffectiveValue(model, name) - before[name]);
        Moved("thought_embeddings.start_embedding").Should().BeInRange(90 * lr, 110 * lr);
        Moved("thought_embeddings.end_embedding").Should().BeInRange(90 * lr, 110 * lr);
        Moved("language_model.model.layers.0.self_attn.q_proj.weight").Should().BeInRange(0.9 * lr, 1.1 * lr);
    }

    [Fact]
    public void A_seeded_training_step_is_bitwise_reproducible()
    {
        using var scope = torch.NewDisposeScope();
        var ids = TinyModels.RandomIds(2, 8, 96, seed: 8);
        (float Loss, Dictionary<string, Tensor> Parameters) Step(ulong seed)
        {
            var model = TinyQuietStar.Create(TinyQuietStar.SmallOptions(), seed: 9, liveHead: true);
            var optimizer = torch.optim.AdamW(model.parameters(), lr: 1e-3, weight_decay: 0.001);
            var result = new QuietStarObjective(model).Compute(ids, null, new Generator(seed));
            result.Loss.backward();
            optimizer.step();
            return (result.Loss.item<float>(), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone()));
        }

        var first = Step(11);
        var second = Step(11);
        var otherSeed = Step(12);
        first.Loss.Should().Be(second.Loss);
        foreach (var (name, value) in first.Parameters)
        {
            value.equal(second.Parameters[name]).all().item<bool>().Should().BeTrue(name);
        }

        first.Parameters.Any(p => !p.Value.equal(otherSeed.Parameters[p.Key]).all().item<bool>())
            .Should().BeTrue("another seed samples other thoughts and so takes another step");
    }

    private static Dictionary<string, Tensor> Snapshot(QuietStarModel model) =>
        model.named_parameters().ToDictionary(p => p.name, p => EffectiveValue(model, p.name).clone());

    /// <summary>The value the forward pass uses: START/END are stored divided by their gradient scale.</summary>
    private static Tensor EffectiveValue(QuietStarModel model, string name) => name switch
    {
        "thought_embeddings.start_embedding" => model.ThoughtEmbeddings.Start.detach(),
        "thought_embeddings.end_embedding" => model.ThoughtEmbeddings.End.detach(),
        _ => model.named_parameters().Single(p => p.name == name).parameter.detach(),
    };
}
