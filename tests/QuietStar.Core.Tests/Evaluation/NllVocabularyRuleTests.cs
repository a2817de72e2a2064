using FluentAssertions;
using QuietStar.Core.Data;
using QuietStar.Core.Evaluation;
using QuietStar.Core.Model;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Evaluation;

/// <summary>
/// The stated rule of docs/evaluation.md ("Which vocabulary an NLL is over"): evaluation NLLs (<see cref="TextNllEvaluator"/>,
/// via <see cref="ScoringPass"/>) are over the base vocabulary, renormalised without START/END; the training loss and
/// <see cref="ValidationEvaluator"/> keep the START/END columns, as the reference's loss does. The START/END rows of the
/// classifier are given real probability mass here, so the two rules give clearly different numbers and a swap is caught.
/// </summary>
public sealed class NllVocabularyRuleTests
{
    private const string Story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friend Tim.";
    private const int BaseVocabulary = 512;

    [Fact]
    public void Text_nll_is_over_the_base_vocabulary_and_validation_nll_over_the_full_vocabulary()
    {
        using var scope = torch.NewDisposeScope();
        using var model = EvaluationFixtures.ThinkingModel(seed: 3);
        var tokenizer = EvaluationFixtures.Tok512;
        int[] window = [1, .. tokenizer.Encode(Story)];
        GiveThoughtColumnsMass(model.LanguageModel, window);

        var text = new TextNllEvaluator(ScoringPass.For(model), tokenizer)
            .Evaluate(Story, new TextNllOptions { Thoughts = false, SequenceLength = 64 });
        var corpus = TextCorpus.FromReader(new StringReader(Story), "story", tokenizer);
        int[] document = corpus.GetDocument(0).ToArray();
        var validation = ValidationEvaluator.Evaluate(model, corpus,
            new ValidationOptions { SequenceLength = document.Length, BatchSize = 1, Batches = 1, WithThoughts = false });

        double textBase = MeanNll(model.LanguageModel, window, BaseVocabulary);
        double textFull = MeanNll(model.LanguageModel, window, null);
        double validationBase = MeanNll(model.LanguageModel, document, BaseVocabulary);
        double validationFull = MeanNll(model.LanguageModel, document, null);
        (textFull - textBase).Should().BeGreaterThan(0.01, "START/END carry real mass here, so the two rules differ");
        (validationFull - validationBase).Should().BeGreaterThan(0.01);
        text.BaseNll.Should().BeApproximately(textBase, 1e-4, "evaluation renormalises over the 512 base tokens");
        validation.BaseNll.Should().BeApproximately(validationFull, 1e-4, "validation, like the training loss, keeps the 514 columns");
    }

    /// <summary>Copies the classifier row of the base token with the highest mean logit over <paramref name="window"/> to START and END.</summary>
    private static void GiveThoughtColumnsMass(CausalLanguageModel lm, int[] window)
    {
        using var noGrad = torch.no_grad();
        var logits = lm.Forward(new ModelInput { InputIds = EvaluationFixtures.Row(window) }).Logits!;          // [1, L, 514]
        long favourite = logits[0].narrow(-1, 0, BaseVocabulary).mean([0]).argmax().item<long>();
        var classifier = lm.ClassifierWeight;                                                                 // [514, H]
        classifier[BaseVocabulary].copy_(classifier[favourite]);
        classifier[BaseVocabulary + 1].copy_(classifier[favourite]);
    }

    /// <summary>Mean next-token NLL of <paramref name="ids"/> with the softmax over the first <paramref name="columns"/> columns (all when null).</summary>
    private static double MeanNll(CausalLanguageModel lm, int[] ids, int? columns)
    {
        using var noGrad = torch.no_grad();
        var logits = lm.Forward(new ModelInput { InputIds = EvaluationFixtures.Row(ids) }).Logits![0].to_type(ScalarType.Float64); // [L, V]
        var logp = (columns is { } c ? logits.narrow(-1, 0, c) : logits).log_softmax(-1);
        return Enumerable.Range(0, ids.Length - 1).Average(t => -logp[t, ids[t + 1]].item<double>());
    }
}
