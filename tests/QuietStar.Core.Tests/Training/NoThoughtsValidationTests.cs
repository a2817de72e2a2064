using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Data;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Tokenization;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training;

/// <summary>
/// Validation without thoughts (issue 13): its talk and base NLL must be the plain language model's NLL on the
/// validation batch, computed here by an independent forward of each document alone. The mixing head is made live
/// first, so validation that accidentally ran thoughts would give a talk NLL away from the plain one.
/// </summary>
public sealed class NoThoughtsValidationTests
{
    private readonly TextTokenizer tokenizer = TinyTraining.Tokenizer();
    private readonly TextCorpus corpus;

    public NoThoughtsValidationTests() => corpus = TinyTraining.Corpus(tokenizer);

    [Fact]
    public void No_thought_training_validates_with_the_plain_language_model_nll_even_with_a_live_mixing_head()
    {
        var options = TinyTraining.Options with { Steps = 2, EvalEvery = 2, NoThoughts = true };
        using var model = LiveHeadModel();

        TrainingReport report;
        using (var trainer = new QuietStarTrainer(model, tokenizer, options))
        {
            report = trainer.Train(corpus);
        }

        var split = corpus.Split(options.ValidationFraction, options.Seed);
        double plain = PlainNll(model, split.Validation, options.SequenceLength, options.BatchSize * options.EvalBatches);
        var validation = report.FinalValidation!;
        validation.BaseNll.Should().BeApproximately(plain, 1e-5);
        validation.TalkNll.Should().BeApproximately(plain, 1e-5, "no thought is mixed into the talk prediction");
        validation.MeanMixingWeight.Should().Be(0);
        var thinking = ValidationEvaluator.Evaluate(model, split.Validation, new ValidationOptions
        {
            SequenceLength = options.SequenceLength, BatchSize = options.BatchSize, Batches = options.EvalBatches, Seed = options.Seed,
        });
        Math.Abs(thinking.TalkNll - plain).Should().BeGreaterThan(1e-3, "the live head makes thought-on validation differ, so the check above can fail");
    }

    [Fact]
    public void The_evaluator_without_thoughts_scores_the_plain_language_model()
    {
        using var model = LiveHeadModel();
        var options = new ValidationOptions { SequenceLength = 16, BatchSize = 3, Batches = 2, Seed = 5, WithThoughts = false };

        var result = ValidationEvaluator.Evaluate(model, corpus, options);

        double plain = PlainNll(model, corpus, options.SequenceLength, options.BatchSize * options.Batches);
        result.BaseNll.Should().BeApproximately(plain, 1e-5);
        result.TalkNll.Should().BeApproximately(plain, 1e-5);
        result.MeanMixingWeight.Should().Be(0);
    }

    private QuietStarModel LiveHeadModel()
    {
        var model = TinyTraining.Model(tokenizer);
        using var noGrad = torch.no_grad();
        var generator = new Generator(11);
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.StartsWith("talk_head.", StringComparison.Ordinal))
            {
                p.normal_(0, 0.4, generator);
            }
        }

        return model;
    }

    /// <summary>Mean NLL over every target of the first <paramref name="documents"/> documents, each truncated to <paramref name="length"/> tokens and run alone, in float64 log-softmax over the full vocabulary.</summary>
    private static double PlainNll(QuietStarModel model, TextCorpus corpus, int length, int documents)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        double sum = 0;
        long count = 0;
        for (int d = 0; d < Math.Min(documents, corpus.DocumentCount); d++)
        {
            long[] tokens = corpus.GetDocument(d).ToArray().Take(length).Select(t => (long)t).ToArray();
            if (tokens.Length < 2)
            {
                continue;
            }

            var logits = model.LanguageModel.Forward(new ModelInput { InputIds = torch.tensor(tokens).unsqueeze(0) }).Logits!;
            var logp = logits[0].to_type(ScalarType.Float64).log_softmax(-1);                      // [n, V]
            for (int i = 0; i + 1 < tokens.Length; i++)
            {
                sum -= logp[i, tokens[i + 1]].item<double>();
                count++;
            }
        }

        return sum / count;
    }
}
