using FluentAssertions;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Evaluation;

public sealed class ScoringPassTests
{
    [Fact]
    public void At_initialisation_the_thought_logits_are_the_base_logits_and_w_is_zero()
    {
        using var scope = torch.NewDisposeScope();
        using var model = EvaluationFixtures.ThinkingModel(seed: 2);
        var forward = ScoringPass.For(model);
        var ids = TinyModels.RandomIds(2, 12, 512, seed: 3);

        var on = forward.RunWithThoughts(ids, null, new Generator(4));
        var off = forward.RunWithoutThoughts(ids, null);

        on.MixingWeights!.shape.Should().Equal(2, 12);
        on.MixingWeights.abs().max().item<float>().Should().Be(0f);
        on.TalkLogits!.equal(on.BaseLogits).all().item<bool>().Should().BeTrue("w ≡ 0 mixes in nothing, bit for bit");
        on.BaseLogits.allclose(off.BaseLogits, rtol: 0, atol: 1e-5).Should().BeTrue();
        off.TalkLogits.Should().BeNull();
        off.Logits.Should().BeSameAs(off.BaseLogits);
    }

    [Fact]
    public void Logits_cover_the_base_vocabulary_only()
    {
        using var scope = torch.NewDisposeScope();
        using var model = EvaluationFixtures.ThinkingModel(seed: 2);
        var forward = ScoringPass.For(model);
        var ids = TinyModels.RandomIds(1, 6, 512, seed: 3);

        var on = forward.RunWithThoughts(ids, null, new Generator(4));

        model.LanguageModel.Config.VocabSize.Should().Be(514);
        forward.VocabularySize.Should().Be(512);
        on.BaseLogits.shape.Should().Equal(1, 6, 512);
        on.TalkLogits!.shape.Should().Equal(1, 6, 512);
    }

    [Fact]
    public void With_a_live_head_thoughts_change_the_prediction_and_are_sampled_from_the_generator()
    {
        using var scope = torch.NewDisposeScope();
        using var model = EvaluationFixtures.ThinkingModel(seed: 2, liveHead: true);
        var forward = ScoringPass.For(model);
        var ids = TinyModels.RandomIds(2, 10, 512, seed: 3);

        var first = forward.RunWithThoughts(ids, null, new Generator(4));
        var same = forward.RunWithThoughts(ids, null, new Generator(4));
        var other = forward.RunWithThoughts(ids, null, new Generator(5));

        TinyQuietStar.MaxAbs(first.MixingWeights!).Should().BeGreaterThan(1e-3);
        TinyQuietStar.MaxAbsDiff(first.TalkLogits!, first.BaseLogits).Should().BeGreaterThan(1e-3f);
        first.TalkLogits!.equal(same.TalkLogits!).all().item<bool>().Should().BeTrue();
        TinyQuietStar.MaxAbsDiff(first.TalkLogits!, other.TalkLogits!).Should().BeGreaterThan(0f, "eval thoughts are sampled at T = 1, not greedy");
    }

    [Fact]
    public void Runs_at_one_pass_and_one_talk_token_without_changing_the_model()
    {
        using var scope = torch.NewDisposeScope();
        using var model = EvaluationFixtures.ThinkingModel(seed: 2);

        var forward = ScoringPass.For(model, thoughtTokens: 2);
        var result = forward.RunWithThoughts(TinyModels.RandomIds(3, 8, 512, seed: 1), null, new Generator(1));

        result.TalkLogits!.shape.Should().Equal([3, 8, 512]); // one row per sequence: P = 1
        forward.ThoughtTokens.Should().Be(2);
        forward.MaxInputLength(withThoughts: true).Should().Be(128 - 4);
        forward.MaxInputLength(withThoughts: false).Should().Be(128);
        model.Options.Passes.Should().Be(2);
        model.Options.TalkTokens.Should().Be(2);
        model.Options.ThoughtTokens.Should().Be(3);
    }

    [Fact]
    public void A_plain_model_is_evaluated_without_thoughts_and_refuses_to_think()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel();
        var forward = ScoringPass.For(lm);
        var ids = TinyModels.RandomIds(1, 5, 512, seed: 1);

        forward.CanThink.Should().BeFalse();
        forward.RunWithoutThoughts(ids, null).BaseLogits.shape.Should().Equal(1, 5, 512);
        var act = () => forward.RunWithThoughts(ids, null, new Generator(1));

        act.Should().Throw<InvalidOperationException>().WithMessage("*no thought tokens*plain language model*thoughts off*");
    }
}
