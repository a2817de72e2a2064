using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Loading;
using QuietStar.Core.Tests.Checkpoints;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Building;

public sealed class QuietStarBuilderTests
{
    private static ModelSource Stories => ModelSource.Llama2c(Stories260K.CheckpointPath, Stories260K.TokenizerPath);

    [Fact]
    public void Builds_a_base_model_equipped_for_thinking_with_the_configured_options()
    {
        using var pipeline = QuietStarBuilder.Create()
            .UseModel(Stories)
            .ConfigureOptions(o => o.ThoughtTokens = 5)
            .ConfigureOptions(o => o.PolicyLossWeight = 100)
            .UseSeed(3)
            .Build();

        pipeline.Options.ThoughtTokens.Should().Be(5);
        pipeline.Options.PolicyLossWeight.Should().Be(100);
        pipeline.Options.TalkTokens.Should().Be(QuietStarOptions.Reference.TalkTokens);
        pipeline.Model.StartThoughtId.Should().Be(512);
        pipeline.Model.LanguageModel.Config.VocabSize.Should().Be(514);
        pipeline.Tokenizer.GetExtraTokenId("<|startthought|>").Should().Be(512);
        pipeline.Tokenizer.GetExtraTokenId("<|endthought|>").Should().Be(513);

        // START/END start from the embedding of "-" (tok512 id 464), as ThoughtInitRule.SkipDummyPrefix picks.
        var dash = pipeline.Model.LanguageModel.EmbeddingWeight[464];
        pipeline.Model.ThoughtEmbeddings.Start.allclose(dash, 1e-6, 1e-6).Should().BeTrue();
    }

    [Fact]
    public void The_built_pipeline_is_immune_to_later_changes_of_the_options_object()
    {
        var options = new QuietStarOptions { ThoughtTokens = 4 };
        using var pipeline = QuietStarBuilder.Create().UseModel(Stories).UseOptions(options).Build();
        options.ThoughtTokens = 7;
        pipeline.Options.ThoughtTokens.Should().Be(4);
        pipeline.Options.ThoughtTokens = 8;  // a copy
        pipeline.Options.ThoughtTokens.Should().Be(4);
    }

    [Fact]
    public void Build_without_a_model_says_what_to_call()
    {
        var act = () => QuietStarBuilder.Create().Build();
        act.Should().Throw<InvalidOperationException>().WithMessage("*UseModel*");
    }

    [Fact]
    public void Invalid_options_fail_before_the_model_is_loaded_and_name_the_option()
    {
        var act = () => QuietStarBuilder.Create()
            .UseModel(ModelSource.Llama2c("/nonexistent/model.bin", "/nonexistent/tok.model"))
            .ConfigureOptions(o => o.ThoughtTokens = 0)
            .Build();
        act.Should().Throw<ArgumentException>().WithMessage("*ThoughtTokens*");
    }

    [Fact]
    public void Custom_components_reach_the_objective_and_the_trainer()
    {
        var spy = new CountingThoughtGenerator();
        using var pipeline = QuietStarBuilder.Create()
            .UseModel(Stories)
            .UseOptions(TinyTraining.Thoughts)
            .UseThoughtGenerator(spy)
            .Build();

        using (var scope = torch.NewDisposeScope())
        {
            var ids = torch.randint(3, 512, [1, 12], dtype: ScalarType.Int64, generator: new Generator(1));
            pipeline.CreateObjective().Compute(ids, null, new Generator(2));
        }

        spy.Calls.Should().Be(1);
        using var trainer = pipeline.CreateTrainer(o => TinyTraining.Fast(o, steps: 1, checkpoint: null));
        trainer.Train(TinyTraining.Corpus(pipeline.Tokenizer));
        spy.Calls.Should().BeGreaterThan(1);
    }

    [Fact]
    public void A_custom_mixing_head_type_is_used()
    {
        using var pipeline = QuietStarBuilder.Create().UseModel(Stories).UseMixingHead<ConstantHead>().Build();
        pipeline.Model.MixingHead.Should().BeOfType<ConstantHead>();
    }

    [Fact]
    public void A_checkpoint_is_restored_with_its_trained_thoughts_and_options()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"quietstar-builder-{Guid.NewGuid():N}");
        try
        {
            Tensor start, headWeights;
            using (var pipeline = QuietStarBuilder.Create().UseModel(Stories).ConfigureOptions(o => o.ThoughtTokens = 3).Build())
            {
                using (torch.no_grad())
                {
                    // Stand-ins for training: move START and the head's output layer away from their initial values.
                    pipeline.Model.ThoughtEmbeddings.parameters().First().add_(0.5);
                    pipeline.Model.named_parameters().Single(p => p.name == "talk_head.output.weight").parameter.fill_(0.25);
                }

                start = pipeline.Model.ThoughtEmbeddings.Start.detach().clone();
                headWeights = pipeline.Model.named_parameters().Single(p => p.name == "talk_head.output.weight").parameter.detach().clone();
                pipeline.Save(folder);
            }

            using var restored = QuietStarBuilder.Create().UseModel(ModelSource.FromPath(folder)).Build();
            restored.Options.ThoughtTokens.Should().Be(3, "a checkpoint keeps the options it was trained with");
            restored.Model.ThoughtEmbeddings.Start.Equals(start).Should().BeTrue("trained START must never be re-initialised");
            restored.Model.named_parameters().Single(p => p.name == "talk_head.output.weight").parameter.Equals(headWeights).Should().BeTrue();
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public void Changing_the_thought_embedding_scale_of_a_checkpoint_keeps_start_and_end_across_save_and_load()
    {
        using var temp = new TempFolder();
        Tensor start, end;
        using (var pipeline = QuietStarBuilder.Create().UseModel(Stories).ConfigureOptions(o => o.ThoughtTokens = 3).Build())
        {
            using (torch.no_grad())
            {
                pipeline.Model.ThoughtEmbeddings.parameters().First().add_(0.5);  // START ≠ END, as after training
            }

            start = pipeline.Model.ThoughtEmbeddings.Start.detach().clone();
            end = pipeline.Model.ThoughtEmbeddings.End.detach().clone();
            pipeline.Options.ThoughtEmbeddingGradientScale.Should().Be(100);
            pipeline.Save(temp.File("scale100"));
        }

        using (var rescaled = QuietStarBuilder.Create()
            .UseModel(ModelSource.Checkpoint(temp.File("scale100")))
            .ConfigureOptions(o => o.ThoughtEmbeddingGradientScale = 10)
            .Build())
        {
            rescaled.Options.ThoughtEmbeddingGradientScale.Should().Be(10);
            rescaled.Model.ThoughtEmbeddings.GradientScale.Should().Be(10, "the model computes with the scale its options record");
            rescaled.Model.ThoughtEmbeddings.Start.allclose(start, 1e-6, 1e-6).Should().BeTrue("e = scale · p is kept, p is rescaled");
            rescaled.Model.ThoughtEmbeddings.End.allclose(end, 1e-6, 1e-6).Should().BeTrue();
            rescaled.Save(temp.File("scale10"));
        }

        using var reloaded = QuietStarBuilder.Create().UseModel(ModelSource.Checkpoint(temp.File("scale10"))).Build();
        reloaded.Options.ThoughtEmbeddingGradientScale.Should().Be(10);
        reloaded.Model.ThoughtEmbeddings.Start.allclose(start, 1e-6, 1e-6).Should().BeTrue("START must not be silently scaled by 1/10");
        reloaded.Model.ThoughtEmbeddings.End.allclose(end, 1e-6, 1e-6).Should().BeTrue();
    }

    [Fact]
    public void A_custom_mixing_head_is_loaded_back_by_a_builder_given_the_same_head_and_refused_without_it()
    {
        using var temp = new TempFolder();
        using (var pipeline = QuietStarBuilder.Create().UseModel(Stories).UseMixingHead<ConstantHead>().Build())
        {
            using (torch.no_grad())
            {
                pipeline.Model.named_parameters().Single(p => p.name == "talk_head.weight").parameter.fill_(0.25);
            }

            pipeline.Save(temp.File("custom"));
        }

        using (var restored = QuietStarBuilder.Create().UseModel(ModelSource.Checkpoint(temp.File("custom"))).UseMixingHead<ConstantHead>().Build())
        {
            restored.Model.MixingHead.Should().BeOfType<ConstantHead>();
            restored.Model.named_parameters().Single(p => p.name == "talk_head.weight").parameter.item<float>().Should().Be(0.25f, "the head's weights come from the file");
        }

        var withoutHead = () => QuietStarBuilder.Create().UseModel(ModelSource.Checkpoint(temp.File("custom"))).Build();
        withoutHead.Should().Throw<NotSupportedException>().WithMessage("*custom mixing head 'ConstantHead'*UseMixingHead<ConstantHead>()*");

        using (var reference = QuietStarBuilder.Create().UseModel(Stories).Build())
        {
            reference.Save(temp.File("reference"));
        }

        var otherHead = () => QuietStarBuilder.Create().UseModel(ModelSource.Checkpoint(temp.File("reference"))).UseMixingHead<ConstantHead>().Build();
        otherHead.Should().Throw<InvalidDataException>().WithMessage("*mixing head 'MixingHead'*ConstantHead*");
    }

    [Fact]
    public void From_path_rejects_a_missing_path_and_a_llama2c_file_without_tokenizer()
    {
        var missing = () => ModelSource.FromPath("/nonexistent/model");
        missing.Should().Throw<FileNotFoundException>().WithMessage("*/nonexistent/model*");
        var noTokenizer = () => ModelSource.FromPath(Stories260K.CheckpointPath);
        noTokenizer.Should().Throw<ArgumentException>().WithMessage("*tokenizer*");
    }

    [Fact]
    public void A_head_type_without_the_builders_constructor_is_refused_when_configured_not_at_the_first_build()
    {
        var configure = () => QuietStarBuilder.Create().UseMixingHead<HeadWithoutConstructor>();

        configure.Should().Throw<ArgumentException>()
            .WithMessage("*UseMixingHead<HeadWithoutConstructor>() needs a public constructor HeadWithoutConstructor(int hiddenSize, Device device, ScalarType dtype)*factory*");
    }

    /// <summary>A head whose constructor does not have the builder's shape.</summary>
    private sealed class HeadWithoutConstructor() : nn.Module(nameof(HeadWithoutConstructor)), IMixingHead
    {
        public Tensor ComputeWeight(Tensor baseHidden, Tensor thoughtHidden) => throw new NotSupportedException();

        public void Reset(Generator generator) => throw new NotSupportedException();
    }

    /// <summary>A test head: a learned constant weight (module with the builder's constructor shape).</summary>
    private sealed class ConstantHead : nn.Module, IMixingHead
    {
        private readonly Parameter weight;

        public ConstantHead(int hiddenSize, Device device, ScalarType dtype) : base(nameof(ConstantHead))
        {
            weight = nn.Parameter(torch.zeros(1, dtype: dtype, device: device));
            RegisterComponents();
        }

        public Tensor ComputeWeight(Tensor baseHidden, Tensor thoughtHidden) =>
            weight.expand([.. baseHidden.shape[..^1], 1]);

        public void Reset(Generator generator)
        {
            using var noGrad = torch.no_grad();
            weight.zero_();
        }
    }
}
