using System.Text.Json;
using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Checkpoints;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Model;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;

namespace QuietStar.Core.Tests.Evaluation;

/// <summary>The evaluations on the real pretrained stories260K model (llama2.c) and its tok512 tokenizer.</summary>
[Trait("Category", "Smoke")]
public sealed class Stories260kSmokeTests(ITestOutputHelper output)
{
    private const string Story =
        "Once upon a time, there was a little boy named Tom. He liked to play with his red ball in the park. " +
        "One day, the ball rolled away. Tom was sad. His mom helped him find it under a big tree. Tom was happy again.";

    [Fact]
    public void Story_text_is_predicted_far_better_than_chance()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = LoadStories260k();

        var result = new TextNllEvaluator(ScoringPass.For(lm), EvaluationFixtures.Tok512)
            .Evaluate(Story, new TextNllOptions { Thoughts = false, SequenceLength = 256 });

        output.WriteLine($"n={result.Tokens} base_nll={result.BaseNll:F4} hard={result.HardBaseNll:F4}");
        result.BaseNll.Should().BeLessThan(2.5, "uniform guessing over 512 tokens costs ln 512 = 6.24 nats");
        result.HardBaseNll.Should().BeGreaterThan(result.BaseNll);
    }

    [Fact]
    public void Gsm8k_and_CommonsenseQa_answer_probabilities_are_probabilities()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = LoadStories260k();
        var evaluator = new AnswerProbabilityEvaluator(ScoringPass.For(lm), EvaluationFixtures.Tok512);
        var options = new AnswerProbabilityOptions { Thoughts = false, Limit = 8 };

        var gsm8k = evaluator.Evaluate(new Gsm8kTask(), EvaluationFixtures.Gsm8kPath, options);
        var csqa = evaluator.Evaluate(new CommonsenseQaTask(), EvaluationFixtures.CommonsenseQaPath, options);

        output.WriteLine(JsonSerializer.Serialize(gsm8k with { ItemProbabilities = [] }));
        output.WriteLine(JsonSerializer.Serialize(csqa with { ItemProbabilities = [] }));
        gsm8k.N.Should().Be(8);
        csqa.N.Should().Be(8);
        gsm8k.ItemProbabilities.Concat(csqa.ItemProbabilities).Should().OnlyContain(p => p > 0 && p < 1);
    }

    [Fact]
    public void The_five_CommonsenseQa_answers_of_a_question_share_at_most_probability_one()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = LoadStories260k();
        var evaluator = new AnswerProbabilityEvaluator(ScoringPass.For(lm), EvaluationFixtures.Tok512);
        var questions = new CommonsenseQaTask().Load(EvaluationFixtures.CommonsenseQaPath, skipMalformed: false).Items.Take(4).ToList();

        // Score the letter of each of the five answers (the newline left out): with "▁" in the allowed set, B (one
        // piece "▁B") and A, C, D, E ("▁" + letter) share one distribution, so the five cannot sum past 1. Without
        // "▁", B would only compete with the newline after ":" and the sum would reach about 1.7 on these questions.
        var byAnswer = "ABCDE".Select(letter => evaluator.Evaluate(
            new CommonsenseQaTask(), [.. questions.Select(q => q with { Answer = $" {letter}" })], new AnswerProbabilityOptions { Thoughts = false })).ToList();

        for (int q = 0; q < questions.Count; q++)
        {
            double total = byAnswer.Sum(r => r.ItemProbabilities[q]);
            output.WriteLine($"question {q}: " + string.Join(" ", byAnswer.Select(r => r.ItemProbabilities[q].ToString("F4"))) + $" sum {total:F4}");
            total.Should().BeInRange(0.5, 1);
        }
    }

    [Fact]
    public void A_Quiet_STaR_model_made_from_it_scores_the_same_with_thoughts_at_initialisation()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = LoadStories260k();
        using var model = QuietStarModel.Create(lm, initTokenId: 464, QuietStarOptions.Reference, new torch.Generator(1));
        var evaluator = new AnswerProbabilityEvaluator(ScoringPass.For(model), EvaluationFixtures.Tok512);
        var options = new AnswerProbabilityOptions { Limit = 4, BatchSize = 2 };

        var on = evaluator.Evaluate(new CommonsenseQaTask(), EvaluationFixtures.CommonsenseQaPath, options);
        var off = evaluator.Evaluate(new CommonsenseQaTask(), EvaluationFixtures.CommonsenseQaPath, options with { Thoughts = false });

        on.Config.ThoughtTokens.Should().Be(9);
        on.ItemProbabilities.Should().Equal(off.ItemProbabilities, (a, b) => Math.Abs(a - b) < 1e-5);
    }

    private static CausalLanguageModel LoadStories260k()
    {
        var (config, weights) = Llama2cCheckpoint.Read(EvaluationFixtures.TestData("stories260k", "stories260K.bin"));
        var lm = new CausalLanguageModel(config);
        lm.LoadWeights(weights);
        return lm;
    }
}
