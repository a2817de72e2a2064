using System.Text.Json;
using FluentAssertions;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Model;
using QuietStar.Core.Tokenization;
using TorchSharp;
using Xunit;

namespace QuietStar.Core.Tests.Evaluation;

public sealed class AnswerProbabilityTests
{
    private const int Space = 410, Newline = 13;
    private static readonly int[] CsqaAllowed = [Newline, 368, Space, 447, 455, 457, 459];
    private static readonly int[] Gsm8kAllowed = [Newline, 472, 475, 477, 479, 480, 483, 484, 487, 490, 491];

    [Fact]
    public void CommonsenseQa_one_token_letter_scores_the_softmax_restricted_to_the_answer_tokens()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel(seed: 7);
        var question = Csqa("B");

        var result = Evaluate(ScoringPass.For(lm), new CommonsenseQaTask(), question);

        // Independently: a plain forward, then softmax over {▁, A, ▁B, C, D, E, \n} at the letter and at the newline.
        int[] ids = EvaluationFixtures.Tok512.Encode(question.Text, addBos: true);
        ids[^2..].Should().Equal(368, Newline);
        var logits = lm.Forward(new ModelInput { InputIds = EvaluationFixtures.Row(ids) }).Logits!;           // [1, L, V]
        double letter = EvaluationFixtures.RestrictedSoftmax(logits[0, ids.Length - 3], CsqaAllowed, 368);
        double newline = EvaluationFixtures.RestrictedSoftmax(logits[0, ids.Length - 2], CsqaAllowed, Newline);
        result.ItemProbabilities.Should().ContainSingle().Which.Should().BeApproximately(letter * newline, 1e-9);
        result.AnswerProbability.Should().Be(result.ItemProbabilities[0]);
    }

    [Fact]
    public void CommonsenseQa_letter_after_a_lone_space_scores_the_space_as_well()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel(seed: 7);
        var question = Csqa("C");

        var result = Evaluate(ScoringPass.For(lm), new CommonsenseQaTask(), question);

        int[] ids = EvaluationFixtures.Tok512.Encode(question.Text, addBos: true);
        ids[^3..].Should().Equal(Space, 457, Newline);
        var logits = lm.Forward(new ModelInput { InputIds = EvaluationFixtures.Row(ids) }).Logits!;           // [1, L, V]
        double expected = Enumerable.Range(ids.Length - 3, 3)
            .Aggregate(1.0, (p, t) => p * EvaluationFixtures.RestrictedSoftmax(logits[0, t - 1], CsqaAllowed, ids[t]));
        result.ItemProbabilities[0].Should().BeApproximately(expected, 1e-9);
    }

    [Fact]
    public void Gsm8k_scores_the_digits_and_newline_after_the_skipped_first_answer_token()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel(seed: 8);
        var question = Gsm8kTask.FormatProblem(new Gsm8kProblem("Tom has 3 bags of 6 apples. How many apples?", "18"));

        var result = Evaluate(ScoringPass.For(lm), new Gsm8kTask(), question);

        int[] ids = EvaluationFixtures.Tok512.Encode(question.Text, addBos: true);
        ids[^4..].Should().Equal(Space, 475, 487, Newline);
        var logits = lm.Forward(new ModelInput { InputIds = EvaluationFixtures.Row(ids) }).Logits!;           // [1, L, V]
        double expected = Enumerable.Range(ids.Length - 3, 3)
            .Aggregate(1.0, (p, t) => p * EvaluationFixtures.RestrictedSoftmax(logits[0, t - 1], Gsm8kAllowed, ids[t]));
        result.ItemProbabilities[0].Should().BeApproximately(expected, 1e-9);
    }

    [Fact]
    public void The_first_answer_token_is_skipped_even_when_it_is_allowed()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel(seed: 8);
        var question = Gsm8kTask.FormatProblem(new Gsm8kProblem("How many?", "4"));
        int[] ids = EvaluationFixtures.Tok512.Encode(question.Text, addBos: true);
        int[] allowed = [.. Gsm8kAllowed.Append(Space).Order()];
        var logits = lm.Forward(new ModelInput { InputIds = EvaluationFixtures.Row(ids) }).Logits!;           // [1, L, V]
        double space = EvaluationFixtures.RestrictedSoftmax(logits[0, ids.Length - 4], allowed, Space);
        double digitAndNewline = Enumerable.Range(ids.Length - 2, 2)
            .Aggregate(1.0, (p, t) => p * EvaluationFixtures.RestrictedSoftmax(logits[0, t - 1], allowed, ids[t]));

        var skipping = Evaluate(ScoringPass.For(lm), new SpaceAllowingTask(firstScored: 1), question);
        var notSkipping = Evaluate(ScoringPass.For(lm), new SpaceAllowingTask(firstScored: 0), question);

        skipping.ItemProbabilities[0].Should().BeApproximately(digitAndNewline, 1e-9);
        notSkipping.ItemProbabilities[0].Should().BeApproximately(space * digitAndNewline, 1e-9);
    }

    [Fact]
    public void Without_thoughts_a_Quiet_STaR_model_at_initialisation_scores_as_with_thoughts()
    {
        using var scope = torch.NewDisposeScope();
        using var model = EvaluationFixtures.ThinkingModel(seed: 4);
        var evaluator = new AnswerProbabilityEvaluator(ScoringPass.For(model), EvaluationFixtures.Tok512);
        var questions = ReadCsqa(6);

        var off = evaluator.Evaluate(new CommonsenseQaTask(), questions, Options(thoughts: false));
        var on = evaluator.Evaluate(new CommonsenseQaTask(), questions, Options(thoughts: true));

        on.ItemProbabilities.Should().Equal(off.ItemProbabilities, (a, b) => Math.Abs(a - b) < 1e-6);
        on.Config.ThoughtTokens.Should().Be(3);
        off.Config.ThoughtTokens.Should().Be(0);
    }

    [Fact]
    public void With_a_trained_mixing_head_thoughts_change_the_scores_reproducibly_for_a_seed()
    {
        using var scope = torch.NewDisposeScope();
        using var model = EvaluationFixtures.ThinkingModel(seed: 4, liveHead: true);
        var evaluator = new AnswerProbabilityEvaluator(ScoringPass.For(model), EvaluationFixtures.Tok512);
        var questions = ReadCsqa(4);

        var off = evaluator.Evaluate(new CommonsenseQaTask(), questions, Options(thoughts: false));
        var on = evaluator.Evaluate(new CommonsenseQaTask(), questions, Options(thoughts: true, seed: 1));
        var again = evaluator.Evaluate(new CommonsenseQaTask(), questions, Options(thoughts: true, seed: 1));
        var otherSeed = evaluator.Evaluate(new CommonsenseQaTask(), questions, Options(thoughts: true, seed: 2));

        on.ItemProbabilities.Zip(off.ItemProbabilities).Max(p => Math.Abs(p.First - p.Second)).Should().BeGreaterThan(1e-4);
        again.ItemProbabilities.Should().Equal(on.ItemProbabilities);
        otherSeed.ItemProbabilities.Should().NotEqual(on.ItemProbabilities, "thoughts are sampled, not greedy");
    }

    [Fact]
    public void Batching_and_padding_do_not_change_scores_and_the_limit_and_progress_are_honoured()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel(seed: 5);
        var evaluator = new AnswerProbabilityEvaluator(ScoringPass.For(lm), EvaluationFixtures.Tok512);
        var questions = ReadCsqa(7);
        var progress = new RecordingProgress();

        var single = evaluator.Evaluate(new CommonsenseQaTask(), questions, Options(thoughts: false) with { BatchSize = 1, Limit = 5 });
        var batched = evaluator.Evaluate(new CommonsenseQaTask(), questions, Options(thoughts: false) with { BatchSize = 3, Limit = 5 }, progress);

        batched.N.Should().Be(5);
        batched.ItemProbabilities.Should().Equal(single.ItemProbabilities, (a, b) => Math.Abs(a - b) < 1e-6);
        batched.AnswerProbability.Should().BeApproximately(batched.ItemProbabilities.Average(), 1e-12);
        batched.ItemProbabilities.Should().OnlyContain(p => p > 0 && p <= 1);
        progress.Reports.Select(r => (r.Completed, r.Total)).Should().Equal((3, 5), (5, 5));
        batched.Config.Should().Be(new QuietStar.Core.Evaluation.EvaluationSettings(false, 0, 0, 96, 3));
    }

    [Fact]
    public void Result_serialises_with_the_agreed_names()
    {
        using var scope = torch.NewDisposeScope();
        using var lm = EvaluationFixtures.PlainModel(seed: 5);
        var result = Evaluate(ScoringPass.For(lm), new CommonsenseQaTask(), Csqa("A"));

        string json = JsonSerializer.Serialize(result);

        json.Should().Contain("\"task\":\"commonsenseqa\"").And.Contain("\"n\":1").And.Contain("\"answer_probability\":")
            .And.Contain("\"config\":{\"thoughts\":false,\"thought_tokens\":0,\"seed\":0,\"seq_len\":96");
    }

    private static AnswerProbabilityResult Evaluate(ScoringPass forward, IAnswerProbabilityTask task, FormattedQuestion question) =>
        new AnswerProbabilityEvaluator(forward, EvaluationFixtures.Tok512).Evaluate(task, [question], Options(thoughts: false));

    private static AnswerProbabilityOptions Options(bool thoughts, int seed = 0) => new() { Thoughts = thoughts, SequenceLength = 96, BatchSize = 4, Seed = seed };

    private static FormattedQuestion Csqa(string key) => new CommonsenseQaTask().Format(JsonDocument.Parse(
        $$$"""{"answerKey": "{{{key}}}", "question": {"stem": "Where do fish live?", "choices": [{"label": "A", "text": "tree"}, {"label": "B", "text": "sea"}, {"label": "C", "text": "sky"}, {"label": "D", "text": "road"}, {"label": "E", "text": "desk"}]}}""").RootElement);

    private static List<FormattedQuestion> ReadCsqa(int count) =>
        [.. new CommonsenseQaTask().Load(EvaluationFixtures.CommonsenseQaPath, skipMalformed: false).Items.Take(count)];

    /// <summary>GSM8K with the lone space allowed too, to see whether the first answer token is skipped.</summary>
    private sealed class SpaceAllowingTask(int firstScored) : IAnswerProbabilityTask
    {
        private readonly Gsm8kTask gsm8k = new();

        public string Name => "gsm8k-with-space";

        public int FirstScoredAnswerToken => firstScored;

        public FormattedQuestion Format(JsonElement record) => gsm8k.Format(record);

        public JsonlReadResult<FormattedQuestion> Load(string path, bool skipMalformed) => gsm8k.Load(path, skipMalformed);

        public IReadOnlySet<int> AllowedAnswerTokenIds(TextTokenizer tokenizer) => gsm8k.AllowedAnswerTokenIds(tokenizer).Append(Space).ToHashSet();
    }
}
