using FluentAssertions;
using QuietStar.Core.Common;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Checkpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Evaluation;

public sealed class TextNllTests
{
    private const string Story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friend Tim.";

    [Fact]
    public void Windows_start_with_BOS_do_not_overlap_and_cover_every_token_once()
    {
        int[] tokens = [.. Enumerable.Range(100, 10)];

        var windows = TextWindows.Split(tokens, bosId: 1, length: 4);

        windows.Should().HaveCount(4);
        windows.Should().OnlyContain(w => w[0] == 1 && w.Length <= 4);
        windows.SelectMany(w => w[1..]).Should().Equal(tokens);
        windows[^1].Should().Equal(1, 109);
    }

    [Fact]
    public void Hard_tokens_are_the_top_tenth_by_value_earlier_first_among_ties()
    {
        double[] values = [.. Enumerable.Range(0, 100).Select(i => (double)((i * 37) % 100))];

        int[] hard = HardTokens.TopFraction(values, 0.1);

        hard.Should().HaveCount(10);
        hard.Select(i => values[i]).Should().BeEquivalentTo(Enumerable.Range(90, 10).Select(v => (double)v));
        hard.Should().BeInAscendingOrder();
        HardTokens.TopFraction([1, 5, 5, 5, 0, 2, 3, 4, 0, 1, 2], 0.1).Should().Equal([1, 2]); // ⌈1.1⌉ = 2 tokens; among the 5s the earliest
        HardTokens.TopFraction([3.0], 0.1).Should().Equal(0);
    }

    [Fact]
    public void Base_nll_is_the_per_token_cross_entropy_of_each_window()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel(seed: 3);
        var tokenizer = EvaluationFixtures.Tok512;

        var result = new TextNllEvaluator(ScoringPass.For(lm), tokenizer)
            .Evaluate(Story, new TextNllOptions { Thoughts = false, SequenceLength = 16, BatchSize = 3 });

        int[] tokens = tokenizer.Encode(Story);
        var expected = new List<double>();
        for (int start = 0; start < tokens.Length; start += 15)
        {
            int[] window = [1, .. tokens.Skip(start).Take(15)];
            var logp = lm.Forward(new ModelInput { InputIds = EvaluationFixtures.Row(window) }).Logits!.to_type(ScalarType.Float64).log_softmax(-1); // [1, L, V]
            expected.AddRange(Enumerable.Range(1, window.Length - 1).Select(t => -logp[0, t - 1, window[t]].item<double>()));
        }

        result.Tokens.Should().Be(tokens.Length);
        result.BaseNllPerToken.Should().Equal(expected, (a, b) => Math.Abs(a - b) < 1e-4);
        result.BaseNll.Should().BeApproximately(expected.Average(), 1e-4);
        result.TalkNll.Should().BeNull();
        result.TalkNllPerToken.Should().BeNull();
        result.MeanMixingWeight.Should().BeNull();
    }

    [Fact]
    public void At_initialisation_thought_nll_equals_base_nll_over_the_base_vocabulary()
    {
        using var scope = torch.NewDisposeScope();
        using var model = EvaluationFixtures.ThinkingModel(seed: 3);
        var tokenizer = EvaluationFixtures.Tok512;

        var result = new TextNllEvaluator(ScoringPass.For(model), tokenizer)
            .Evaluate(Story, new TextNllOptions { SequenceLength = 64 });

        int[] window = [1, .. tokenizer.Encode(Story)];
        var logits = model.LanguageModel.Forward(new ModelInput { InputIds = EvaluationFixtures.Row(window) }).Logits!;       // [1, L, 514]
        var logp = logits.narrow(-1, 0, 512).to_type(ScalarType.Float64).log_softmax(-1);                                // [1, L, 512]
        double first = -logp[0, 0, window[1]].item<double>();
        result.BaseNllPerToken[0].Should().BeApproximately(first, 1e-4, "START/END are not text: probabilities are over the 512 base tokens");
        result.TalkNllPerToken.Should().Equal(result.BaseNllPerToken);
        result.TalkNll.Should().Be(result.BaseNll);
        result.MeanMixingWeight.Should().Be(0);
        result.Config.Thoughts.Should().BeTrue();
        result.Config.ThoughtTokens.Should().Be(3);
    }

    [Fact]
    public void Hard_figures_average_the_tokens_with_the_highest_base_nll()
    {
        using var scope = torch.NewDisposeScope();
        using var model = EvaluationFixtures.ThinkingModel(seed: 5, liveHead: true);

        var result = new TextNllEvaluator(ScoringPass.For(model), EvaluationFixtures.Tok512)
            .Evaluate(Story, new TextNllOptions { SequenceLength = 20, BatchSize = 2, Seed = 3 });

        int n = result.Tokens;
        result.BaseNllPerToken.Should().HaveCount(n);
        result.TalkNllPerToken.Should().HaveCount(n);
        result.HardTokenIndices.Should().HaveCount((int)Math.Ceiling(0.1 * n));
        double threshold = result.HardTokenIndices.Min(i => result.BaseNllPerToken[i]);
        Enumerable.Range(0, n).Except(result.HardTokenIndices).Should().OnlyContain(i => result.BaseNllPerToken[i] <= threshold);
        result.HardBaseNll.Should().BeApproximately(result.HardTokenIndices.Average(i => result.BaseNllPerToken[i]), 1e-12);
        result.HardTalkNll.Should().BeApproximately(result.HardTokenIndices.Average(i => result.TalkNllPerToken![i]), 1e-12);
        result.HardBaseNll.Should().BeGreaterThan(result.BaseNll);
        result.TalkNll.Should().NotBe(result.BaseNll);
        result.MeanMixingWeight.Should().NotBe(0);
    }

    [Fact]
    public void Max_tokens_limits_the_text_and_progress_counts_windows()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel(seed: 3);
        var progress = new RecordingProgress();

        var result = new TextNllEvaluator(ScoringPass.For(lm), EvaluationFixtures.Tok512)
            .Evaluate(Story, new TextNllOptions { Thoughts = false, SequenceLength = 8, BatchSize = 2, Limit = 20 }, progress);

        result.Tokens.Should().Be(20);
        progress.Reports.Select(r => (r.Completed, r.Total)).Should().Equal((2, 3), (3, 3));
    }

    [Fact]
    public void A_file_is_read_and_an_empty_one_is_refused()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel(seed: 3);
        using var folder = new TempFolder();
        var evaluator = new TextNllEvaluator(ScoringPass.For(lm), EvaluationFixtures.Tok512);
        var options = new TextNllOptions { Thoughts = false, SequenceLength = 32 };
        File.WriteAllText(folder.File("story.txt"), Story);
        File.WriteAllText(folder.File("empty.txt"), " \n\n");

        evaluator.EvaluateFile(folder.File("story.txt"), options).BaseNll
            .Should().Be(evaluator.Evaluate(Story, options).BaseNll);
        var act = () => evaluator.EvaluateFile(folder.File("empty.txt"), options);

        act.Should().Throw<InvalidDataException>().WithMessage("*empty.txt*empty*");
    }

    [Fact]
    public void A_window_beyond_the_context_is_refused_before_any_work()
    {
        using var scope = torch.NewDisposeScope();
        using var model = EvaluationFixtures.ThinkingModel();
        var evaluator = new TextNllEvaluator(ScoringPass.For(model), EvaluationFixtures.Tok512);

        var act = () => evaluator.Evaluate(Story, new TextNllOptions { SequenceLength = 126 });

        act.Should().Throw<ArgumentException>().WithMessage("*126*exceeds*123 tokens*");
    }
}
