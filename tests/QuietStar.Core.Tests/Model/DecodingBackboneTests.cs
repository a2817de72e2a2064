using FluentAssertions;
using QuietStar.Core.Inference;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Model;

/// <summary>
/// The decoding backbone computes what the general forward computes. In float64 any structural slip (a wrong head, row,
/// position or mask column) would show as an O(1) difference, while rounding stays near 1e-15; in float32 the two agree
/// to rounding (the rotary table's cos/sin and the fused products may round the last bit differently). Both forms are
/// checked: fused weight copies (small models) and the model's own weights unfused (above the copy budget).
/// </summary>
public sealed class DecodingBackboneTests
{
    [Theory]
    [InlineData("llama", true, ScalarType.Float64, 1e-12, true)]
    [InlineData("mistral", false, ScalarType.Float64, 1e-12, true)]
    [InlineData("qwen2", false, ScalarType.Float64, 1e-12, true)]
    [InlineData("llama", true, ScalarType.Float32, 1e-5, true)]
    [InlineData("llama", true, ScalarType.BFloat16, 5e-2, true)]
    [InlineData("llama", true, ScalarType.Float64, 1e-12, false)]
    [InlineData("qwen2", false, ScalarType.Float64, 1e-12, false)]
    [InlineData("llama", true, ScalarType.Float32, 1e-5, false)]
    public void One_token_steps_after_a_prefill_equal_the_general_forward(string modelType, bool tied, ScalarType dtype, double tolerance, bool fused)
    {
        using var scope = torch.NewDisposeScope();
        using var inference = torch.inference_mode();
        using var model = TinyModels.Create(31, modelType, tied, dtype: dtype);
        var ids = TinyModels.RandomIds(2, 12, 96, seed: 32);                                        // [2, 12]
        using var general = new KeyValueCache(model.Config.NumLayers);
        using var lean = new KeyValueCache(model.Config.NumLayers);
        using var backbone = new DecodingBackbone(model, extraPositions: 0, fusedBudgetBytes: fused ? DecodingBackbone.FusedWeightBudgetBytes : 0);
        backbone.Fused.Should().Be(fused);
        model.Forward(new ModelInput { InputIds = ids[.., ..7], Cache = general, ComputeLogits = false });
        backbone.ForwardText(new ModelInput { InputIds = ids[.., ..7], Cache = lean, ComputeLogits = false }); // the prefill goes the general way

        for (int t = 7; t < 12; t++)
        {
            var expected = model.Forward(new ModelInput { InputIds = ids[.., t..(t + 1)], Cache = general, ComputeLogits = false }).Hidden; // [2, 1, H]
            var actual = backbone.ForwardText(new ModelInput { InputIds = ids[.., t..(t + 1)], Cache = lean, ComputeLogits = false });      // [2, 1, H]
            actual.shape.Should().Equal(expected.shape);
            actual.dtype.Should().Be(dtype);
            TinyQuietStar.MaxAbsDiff(actual, expected).Should().BeLessThan((float)tolerance, $"hidden state at t = {t}");
        }

        lean.Length.Should().Be(12);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-12, true)]
    [InlineData(ScalarType.Float32, 1e-5, true)]
    [InlineData(ScalarType.Float64, 1e-12, false)]
    public void Masked_slots_of_a_left_padded_batch_equal_the_general_forward(ScalarType dtype, double tolerance, bool fused)
    {
        using var scope = torch.NewDisposeScope();
        using var inference = torch.inference_mode();
        using var model = TinyModels.Create(41, dtype: dtype);
        var batch = new LeftPaddedBatch([[5, 6, 7, 8, 9, 10], [11, 12, 13]], CPU);                 // row 1 padded by 3
        using var general = new KeyValueCache(model.Config.NumLayers);
        using var lean = new KeyValueCache(model.Config.NumLayers);
        using var backbone = new DecodingBackbone(model, extraPositions: 4, fusedBudgetBytes: fused ? DecodingBackbone.FusedWeightBudgetBytes : 0);
        model.Forward(batch.Input(batch.PromptIds, general));
        backbone.ForwardText(batch.Input(batch.PromptIds, lean));

        // A padded one-token text step: the padding mask goes through the same plan.
        long[] next = [14, 15];
        var expectedText = model.Forward(batch.Input(next, general)).Hidden;                        // [2, 1, H]
        var actualText = backbone.ForwardText(batch.Input(next, lean));                              // [2, 1, H]
        TinyQuietStar.MaxAbsDiff(actualText, expectedText).Should().BeLessThan((float)tolerance, "padded text step");

        // Two slots at once (as a thought's last token and END), at positions beyond the context, causal among themselves.
        long keys = general.Length + 2;
        var visible = batch.KeyIsReal(keys)!.unsqueeze(1).unsqueeze(1);                             // [2, 1, 1, S+2]
        var query = torch.arange(keys - 2, keys).unsqueeze(1);                                       // [2, 1]
        var key = torch.arange(keys).unsqueeze(0);                                                   // [1, S+2]
        var mask = visible & (key <= query);                                                         // [2, 1, 2, S+2]
        var embeddings = torch.randn([2, 2, model.Config.HiddenSize], dtype: dtype, generator: new Generator(42)); // [2, 2, H]
        var positions = torch.tensor(new long[] { 128, 129, 130, 131 }, [2, 2]);                    // [2, 2]
        var expected = model.Forward(new ModelInput
        {
            InputEmbeddings = embeddings,
            PositionIds = positions,
            Attention = AttentionSpec.Explicit(mask),
            Cache = general,
            ComputeLogits = false,
        }).Hidden;                                                                                   // [2, 2, H]
        var (cos, signedSin) = backbone.Rotary(positions);
        var actual = backbone.Forward(embeddings, cos, signedSin, backbone.Mask(AttentionSpec.Explicit(mask), 2, keys - 2), lean); // [2, 2, H]
        TinyQuietStar.MaxAbsDiff(actual, expected).Should().BeLessThan((float)tolerance, "masked slots");
        lean.Length.Should().Be(general.Length);
    }

    [Fact]
    public void It_refuses_to_run_with_gradients_on()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(51);
        using var cache = new KeyValueCache(model.Config.NumLayers);
        using var backbone = new DecodingBackbone(model, extraPositions: 0);
        var (cos, signedSin) = backbone.Rotary(torch.zeros(1, 1, dtype: ScalarType.Int64));
        var act = () => backbone.Forward(torch.zeros(1, 1, model.Config.HiddenSize), cos, signedSin, null, cache);
        act.Should().Throw<InvalidOperationException>();
    }
}
