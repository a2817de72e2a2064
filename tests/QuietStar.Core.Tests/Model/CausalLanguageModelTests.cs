using FluentAssertions;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Model;

public sealed class CausalLanguageModelTests
{
    [Theory]
    [InlineData("llama", true)]
    [InlineData("mistral", false)]
    [InlineData("qwen2", false)]
    public void Kv_cached_decoding_equals_full_recomputation(string modelType, bool tied)
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(3, modelType, tied);
        var ids = TinyModels.RandomIds(2, 12, 96, seed: 5);
        using var noGrad = torch.no_grad();
        var full = model.Forward(new ModelInput { InputIds = ids }).Logits!;  // [2, 12, V]

        using var cache = new KeyValueCache(model.Config.NumLayers);
        var prefill = model.Forward(new ModelInput { InputIds = ids[.., ..7], Cache = cache }).Logits!;
        var steps = new List<Tensor> { prefill };
        for (int t = 7; t < 12; t++)
        {
            steps.Add(model.Forward(new ModelInput { InputIds = ids[.., t..(t + 1)], Cache = cache }).Logits!);
        }

        cache.Length.Should().Be(12);
        var incremental = torch.cat(steps, dim: 1);
        (incremental - full).abs().max().item<float>().Should().BeLessThan(1e-5f);
    }

    [Fact]
    public void Explicit_causal_boolean_mask_equals_builtin_causal_path()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(4);
        var ids = TinyModels.RandomIds(2, 10, 96, seed: 6);
        using var noGrad = torch.no_grad();
        var builtin = model.Forward(new ModelInput { InputIds = ids }).Logits!;
        var mask = torch.ones(10, 10, dtype: ScalarType.Bool).tril().unsqueeze(0).unsqueeze(0);   // [1, 1, L, L]
        var explicitMask = model.Forward(new ModelInput { InputIds = ids, Attention = AttentionSpec.Explicit(mask) }).Logits!;
        (explicitMask - builtin).abs().max().item<float>().Should().BeLessThan(1e-6f);

        // And a mask that differs really changes the output (the mask is used, not ignored).
        var full = torch.ones(1, 1, 10, 10, dtype: ScalarType.Bool);
        var peeking = model.Forward(new ModelInput { InputIds = ids, Attention = AttentionSpec.Explicit(full) }).Logits!;
        (peeking - builtin).abs().max().item<float>().Should().BeGreaterThan(1e-3f);
    }

    [Fact]
    public void Batch_of_two_left_padded_prompts_equals_each_prompt_alone()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(5);
        var shortPrompt = TinyModels.RandomIds(1, 5, 96, seed: 7);
        var longPrompt = TinyModels.RandomIds(1, 9, 96, seed: 8);
        using var noGrad = torch.no_grad();
        var aloneShort = model.Forward(new ModelInput { InputIds = shortPrompt }).Logits!;  // [1, 5, V]
        var aloneLong = model.Forward(new ModelInput { InputIds = longPrompt }).Logits!;    // [1, 9, V]

        var padded = torch.cat([torch.zeros(1, 4, dtype: ScalarType.Int64), shortPrompt], dim: 1);        // [1, 9]
        var batch = torch.cat([padded, longPrompt], dim: 0);                                              // [2, 9]
        var isReal = torch.cat([torch.arange(9).ge(4).unsqueeze(0), torch.ones(1, 9, dtype: ScalarType.Bool)], dim: 0);
        var positions = torch.stack([torch.arange(9) - 4, torch.arange(9)]).clamp_min(0);                 // [2, 9]
        var batched = model.Forward(new ModelInput
        {
            InputIds = batch,
            PositionIds = positions,
            Attention = AttentionSpec.CausalWithPadding(isReal),
        }).Logits!;

        (batched[0, 4..] - aloneShort[0]).abs().max().item<float>().Should().BeLessThan(1e-5f);
        (batched[1] - aloneLong[0]).abs().max().item<float>().Should().BeLessThan(1e-5f);
    }

    [Fact]
    public void Hidden_states_are_returned_without_logits_when_not_asked()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(6);
        var output = model.Forward(new ModelInput { InputIds = TinyModels.RandomIds(1, 4, 96, 1), ComputeLogits = false });
        output.Logits.Should().BeNull();
        output.Hidden.shape.Should().Equal(1, 4, 32);
    }

    [Fact]
    public void Ids_outside_the_vocabulary_are_rejected_with_a_clear_message()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(7);
        var bad = torch.tensor(new long[] { 1, 2, 500 }).unsqueeze(0);
        var act = () => model.Forward(new ModelInput { InputIds = bad });
        act.Should().Throw<ArgumentException>().WithMessage("*500*outside the model's vocabulary*");
    }

    [Fact]
    public void A_sequence_longer_than_the_context_is_rejected()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(8);
        var act = () => model.Forward(new ModelInput { InputIds = TinyModels.RandomIds(1, 129, 96, 2) });
        act.Should().Throw<ArgumentException>().WithMessage("*129 tokens*context is 128*");
    }

    [Fact]
    public void Both_ids_and_embeddings_is_an_error()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(9);
        var ids = TinyModels.RandomIds(1, 3, 96, 3);
        var act = () => model.Forward(new ModelInput { InputIds = ids, InputEmbeddings = model.Embed(ids) });
        act.Should().Throw<ArgumentException>().WithMessage("*exactly one of InputIds and InputEmbeddings*");
    }

    [Fact]
    public void Resizing_the_vocabulary_keeps_old_rows_and_grows_a_tied_classifier()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(10);
        var before = model.EmbeddingWeight.detach().clone();
        model.ResizeVocabulary(98, new Generator(1));
        model.Config.VocabSize.Should().Be(98);
        model.EmbeddingWeight.shape.Should().Equal(98, 32);
        model.ClassifierWeight.shape.Should().Equal(98, 32);
        model.EmbeddingWeight[..96].equal(before).all().item<bool>().Should().BeTrue();
        model.named_parameters().Count(p => p.name == "model.embed_tokens.weight").Should().Be(1);
    }

    [Fact]
    public void State_dict_uses_hugging_face_names()
    {
        using var model = TinyModels.Create(11, "qwen2", tied: false);
        var names = model.state_dict().Keys.ToHashSet();
        names.Should().Contain([
            "model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.bias",
            "model.layers.1.mlp.down_proj.weight", "model.layers.0.input_layernorm.weight",
            "model.layers.0.post_attention_layernorm.weight", "model.norm.weight", "lm_head.weight",
        ]);
        names.Should().NotContain(n => n.Contains("inv_freq"));
    }

    [Fact]
    public void Public_logits_are_the_causal_forward_pass_each_position_blind_to_later_tokens()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(21);
        var ids = TinyModels.RandomIds(2, 9, 96, seed: 22);
        using var noGrad = torch.no_grad();
        var logits = model.Logits(ids);                                                               // [2, 9, V]
        logits.shape.Should().Equal(2, 9, model.Config.VocabSize);
        logits.equal(model.Forward(new ModelInput { InputIds = ids }).Logits!).all().item<bool>().Should().BeTrue();

        // Changing the last token changes nothing before it: the pass is causal, not bidirectional.
        var changed = ids.clone();
        changed[.., 8] = (ids[.., 8] + 1) % 96;
        var other = model.Logits(changed);
        (other[.., ..8] - logits[.., ..8]).abs().max().item<float>().Should().BeLessThan(1e-6f);
        (other[.., 8] - logits[.., 8]).abs().max().item<float>().Should().BeGreaterThan(1e-4f);
    }

    [Fact]
    public void Public_logits_skip_padded_keys_and_refuse_a_padding_mask_of_the_wrong_shape()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(23);
        var prompt = TinyModels.RandomIds(1, 5, 96, seed: 24);
        using var noGrad = torch.no_grad();
        var alone = model.Logits(prompt);                                                             // [1, 5, V]
        var padded = torch.cat([torch.zeros(1, 3, dtype: ScalarType.Int64), prompt], dim: 1);         // [1, 8]: 3 pad ids on the left
        var isReal = torch.cat([torch.zeros(1, 3, dtype: ScalarType.Bool), torch.ones(1, 5, dtype: ScalarType.Bool)], dim: 1);
        var withPadding = model.Logits(padded, isReal);                                               // [1, 8, V]
        (withPadding[.., 3..] - alone).abs().max().item<float>().Should().BeLessThan(1e-5f);

        var shorter = torch.ones(1, 7, dtype: ScalarType.Bool);                                       // one key short, all true
        model.Invoking(m => m.Logits(padded, shorter)).Should().Throw<ArgumentException>().WithMessage("The padding mask must match the ids: [1, 8]*got [1, 7]*");
        var otherBatch = torch.ones(2, 8, dtype: ScalarType.Bool);                                    // two rows for one
        model.Invoking(m => m.Logits(padded, otherBatch)).Should().Throw<ArgumentException>().WithMessage("The padding mask must match the ids*got [2, 8]*");

        // The internal pass with a cache checks the key count itself (cached + new), before its all-true shortcut.
        var internalPass = () => model.Forward(new ModelInput { InputIds = padded, Attention = AttentionSpec.CausalWithPadding(shorter) });
        internalPass.Should().Throw<ArgumentException>().WithMessage("Key padding mask covers 7 keys but attention sees 8*");
    }

    [Fact]
    public void Forward_events_come_once_per_pass_in_order_and_completed_is_not_raised_when_a_pass_throws()
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyModels.Create(25);
        var events = new List<string>();
        model.ForwardStarting += (_, _) => events.Add("start");
        model.ForwardCompleted += (_, _) => events.Add("done");
        using var noGrad = torch.no_grad();
        model.Logits(TinyModels.RandomIds(1, 4, 96, seed: 26));
        model.Logits(TinyModels.RandomIds(2, 3, 96, seed: 27));
        events.Should().Equal("start", "done", "start", "done");

        events.Clear();
        var outside = torch.full(1, 3, 96 + 5, dtype: ScalarType.Int64);                             // ids beyond the vocabulary
        var act = () => model.Logits(outside);
        act.Should().Throw<ArgumentException>();
        events.Should().Equal("start");
    }
}
