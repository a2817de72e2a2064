using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Inference;
using QuietStar.Core.Testing;
using QuietStar.Core.Tests.Fixtures;
using Xunit;

namespace QuietStar.Core.Tests.Evaluation;

/// <summary>The evaluations behind the pipeline (<c>QuietStarPipeline.Evaluation.cs</c>) run the evaluators on the pipeline's model.</summary>
public sealed class PipelineEvaluationTests : IDisposable
{
    private const string Text = "The cat sat on the mat. The dog sat on the log. A bird sang in the tree and the sun came up.";

    private readonly QuietStarPipeline pipeline = TestModels.TinyPipeline(seed: 5);

    [Fact]
    public void Text_nll_equals_the_evaluator_over_the_scoring_pass()
    {
        var options = new TextNllOptions { SequenceLength = 24, BatchSize = 2, Seed = 3 };

        var viaPipeline = pipeline.EvaluateTextNll(Text, options);
        var direct = new TextNllEvaluator(ScoringPass.For(pipeline.Model), pipeline.Tokenizer).Evaluate(Text, options);

        viaPipeline.BaseNllPerToken.Should().Equal(direct.BaseNllPerToken);
        viaPipeline.TalkNllPerToken.Should().Equal(direct.TalkNllPerToken!);
        viaPipeline.Config.Should().Be(direct.Config);
    }

    [Fact]
    public void The_thought_length_and_sampling_are_the_ones_asked_for()
    {
        using var longer = pipeline.With(o => o.ThoughtTokens = 6);
        var options = new TextNllOptions { SequenceLength = 24, BatchSize = 2, Seed = 3, Sampling = ThoughtSampling.Uniform };

        var result = longer.EvaluateTextNll(Text, options);
        var direct = new TextNllEvaluator(ScoringPass.For(pipeline.Model, thoughtTokens: 6, ThoughtSampling.Uniform), pipeline.Tokenizer).Evaluate(Text, options);

        result.Config.ThoughtTokens.Should().Be(6);
        result.TalkNllPerToken.Should().Equal(direct.TalkNllPerToken!);
    }

    [Fact]
    public void The_pipelines_custom_thought_generator_makes_the_model_thoughts_and_the_reference_one_the_uniform_baseline()
    {
        var thoughts = new CountingThoughtGenerator();
        using var custom = QuietStarBuilder.Create().UseModel(TestModels.Tiny(seed: 5)).UseOptions(TestModels.TinyThoughts)
            .UseThoughtGenerator(thoughts).Build();
        var options = new TextNllOptions { SequenceLength = 24, BatchSize = 2, Seed = 3 };

        var own = custom.EvaluateTextNll(Text, options);
        int afterOwn = thoughts.Calls;
        custom.EvaluateTextNll(Text, options with { Sampling = ThoughtSampling.Uniform });

        afterOwn.Should().BeGreaterThan(0, "the model's thoughts come from the pipeline's generator, as in training");
        thoughts.Calls.Should().Be(afterOwn, "uniform thoughts are drawn by the reference generator, which can draw them");
        own.TalkNllPerToken.Should().NotBeNull();
    }

    [Fact]
    public void Progress_arrives_as_completed_and_total_pairs()
    {
        var reports = new List<(int Completed, int Total)>();

        pipeline.EvaluateTextNll(Text, new TextNllOptions { SequenceLength = 24, BatchSize = 1, Thoughts = false }, new Recorder(reports));

        reports.Should().NotBeEmpty();
        reports[^1].Completed.Should().Be(reports[^1].Total);
    }

    [Fact]
    public void Exact_match_reads_json_lines_and_keeps_the_first_limit_problems()
    {
        using var data = new StringReader("""
            {"question": "What is 1 + 2?", "answer": "#### 3"}
            {"question": "What is 2 + 2?", "answer": "#### 4"}
            {"question": "What is 3 + 2?", "answer": "#### 5"}
            """);

        var result = pipeline.EvaluateExactMatch(data, "three problems", new ExactMatchOptions { Limit = 2, MaxTokens = 2 });

        result.N.Should().Be(2);
        result.Items.Select(i => i.Expected).Should().Equal("3", "4");
    }

    [Fact]
    public void Exact_match_skips_and_counts_malformed_lines_when_asked_from_a_reader_and_from_a_file()
    {
        const string Data = """
            {"question": "What is 1 + 2?", "answer": "#### 3"}
            {"question": "What is 2 + 2?"
            {"question": "What is 3 + 2?", "answer": "#### 5"}
            """;
        var options = new ExactMatchOptions { MaxTokens = 2, SkipMalformed = true };
        string path = Path.Combine(Path.GetTempPath(), $"quietstar-exact-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, Data);
        try
        {
            using var data = new StringReader(Data);
            using var clean = new StringReader(Data.Split('\n')[0]);

            var fromReader = pipeline.EvaluateExactMatch(data, "one bad line", options);
            var fromFile = pipeline.EvaluateExactMatch(path, options);
            var withoutBadLines = pipeline.EvaluateExactMatch(clean, "no bad line", options);

            fromReader.N.Should().Be(2);
            fromReader.SkippedMalformed.Should().Be(1);
            fromReader.Items.Select(i => i.Expected).Should().Equal("3", "5");
            fromFile.N.Should().Be(2);
            fromFile.SkippedMalformed.Should().Be(1);
            withoutBadLines.SkippedMalformed.Should().Be(0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_malformed_line_is_named_by_the_data_set_name()
    {
        using var data = new StringReader("{\"question\": \"What is 1 + 2?\"}\n");

        var act = () => pipeline.EvaluateExactMatch(data, "my problems", new ExactMatchOptions { MaxTokens = 2 });

        act.Should().Throw<InvalidDataException>().WithMessage("my problems line 1 is malformed*");
    }

    [Fact]
    public void The_comparison_of_two_results_is_the_one_of_the_comparison_rule()
    {
        var options = new TextNllOptions { SequenceLength = 24, BatchSize = 2, Seed = 3 };
        var candidate = pipeline.EvaluateTextNll(Text, options);
        var baseline = pipeline.EvaluateTextNll(Text, options with { Thoughts = false });

        candidate.CompareWith(baseline).Should().BeEquivalentTo(TextNllComparison.Compare(candidate, baseline));
    }

    [Fact]
    public async Task An_evaluation_waits_for_a_running_generation_request_and_refuses_once_the_models_owner_is_disposed()
    {
        var owner = TestModels.TinyPipeline(seed: 6);
        using var derived = owner.With(o => o.ThoughtTokens = 2);
        var options = new TextNllOptions { SequenceLength = 24, BatchSize = 2, Seed = 3, Thoughts = false };
        await using (var running = owner.GenerateAsync("a", new GenerationOptions { MaxTokens = 50, Greedy = true, StopAtEos = false }).GetAsyncEnumerator())
        {
            (await running.MoveNextAsync()).Should().BeTrue();               // the request holds the model

            var evaluation = Task.Run(() => derived.EvaluateTextNll(Text, options));
            (await Task.WhenAny(evaluation, Task.Delay(300))).Should().NotBeSameAs(evaluation, "the model serves one request at a time");
            await running.DisposeAsync();
            (await evaluation.WaitAsync(TimeSpan.FromMinutes(1))).BaseNllPerToken.Should().NotBeEmpty();
        }

        owner.Dispose();
        var after = () => derived.EvaluateTextNll(Text, options);
        after.Should().Throw<ObjectDisposedException>("the model's weights are freed");
    }

    public void Dispose() => pipeline.Dispose();

    private sealed class Recorder(List<(int Completed, int Total)> reports) : IProgress<(int Completed, int Total)>
    {
        public void Report((int Completed, int Total) value) => reports.Add(value);
    }
}
