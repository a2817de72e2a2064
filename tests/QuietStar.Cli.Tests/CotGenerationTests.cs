using FluentAssertions;
using Xunit;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Cli.Tests;

/// <summary>The zero-shot CoT generation of <c>eval --cot</c> (the pipeline's) never writes a checkpoint's thought tokens as text.</summary>
[Collection(TinyRunCollection.Name)]
public sealed class CotGenerationTests(TinyRun tiny)
{
    [Fact]
    public void Never_generates_START_or_END_even_when_the_model_prefers_them()
    {
        using var loaded = LoadedModel.Checkpoint(tiny.Checkpoint);
        var pipeline = loaded.Pipeline!;
        var model = pipeline.Model;
        PreferThoughtTokens(loaded); // START and END now have the highest logit at every position: a vocabulary-wide argmax picks one

        using var data = new StringReader("{\"question\": \"the cat\", \"answer\": \"#### 3\"}\n");
        var result = pipeline.EvaluateZeroShotCot(data, "one problem", new ZeroShotCotOptions { Votes = 2, MaxReasoningTokens = 8, AnswerTokens = 4, Seed = 3 });

        foreach (string text in result.Questions.SelectMany(q => q.Transcripts))
        {
            text.Should().NotContain(model.Options.StartThoughtToken).And.NotContain(model.Options.EndThoughtToken);
        }
    }

    /// <summary>
    /// Makes every position's final hidden state a vector of ones (embeddings all ones, attention and MLP outputs zero)
    /// and gives only the START and END rows of the LM head a positive logit: a model that always prefers a thought token.
    /// </summary>
    private static void PreferThoughtTokens(LoadedModel loaded)
    {
        var model = loaded.Pipeline!.Model;
        using var noGrad = torch.no_grad();
        foreach (var (name, weight) in model.LanguageModel.Weights())
        {
            if (name.Contains("o_proj", StringComparison.Ordinal) || name.Contains("down_proj", StringComparison.Ordinal))
            {
                weight.zero_();
            }
            else if (name is "model.embed_tokens.weight" or "model.norm.weight")
            {
                weight.fill_(1.0);
            }
            else if (name is "lm_head.weight")
            {
                weight.zero_();
                weight[model.StartThoughtId].fill_(1.0);
                weight[model.EndThoughtId].fill_(1.0);
            }
        }
    }
}
