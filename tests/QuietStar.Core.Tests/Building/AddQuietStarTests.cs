using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Loading;
using QuietStar.Core.Tests.Checkpoints;
using QuietStar.Core.Tests.Fixtures;
using Xunit;

namespace QuietStar.Core.Tests.Building;

public sealed class AddQuietStarTests
{
    private static ModelSource Stories => ModelSource.Llama2c(Stories260K.CheckpointPath, Stories260K.TokenizerPath);

    [Fact]
    public void Registers_validated_options_and_a_singleton_pipeline()
    {
        var services = new ServiceCollection()
            .AddQuietStar(b => b.UseModel(Stories).ConfigureOptions(o => o.ThoughtTokens = 4));
        services.Configure<QuietStarOptions>(o => o.TalkTokens = 3);  // composes with the builder's configuration
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<QuietStarOptions>>().Value;
        options.ThoughtTokens.Should().Be(4);
        options.TalkTokens.Should().Be(3);
        var pipeline = provider.GetRequiredService<QuietStarPipeline>();
        pipeline.Should().BeSameAs(provider.GetRequiredService<QuietStarPipeline>());
        pipeline.Options.ThoughtTokens.Should().Be(4);
        pipeline.Options.TalkTokens.Should().Be(3);
    }

    [Fact]
    public void For_a_checkpoint_the_configure_delegate_runs_once_and_the_options_equal_the_pipelines()
    {
        using var temp = new TempFolder();
        using (var trained = QuietStarBuilder.Create().UseModel(Stories).ConfigureOptions(o => o.ThoughtTokens = 3).Build())
        {
            trained.Save(temp.Path);
        }

        int configureCalls = 0;
        var services = new ServiceCollection().AddQuietStar(b =>
        {
            configureCalls++;
            b.UseModel(ModelSource.Checkpoint(temp.Path)).ConfigureOptions(o => o.PolicyLossWeight = 7);
        });
        services.Configure<QuietStarOptions>(o => o.TalkTokens = 3);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<QuietStarOptions>>().Value;
        var pipeline = provider.GetRequiredService<QuietStarPipeline>();

        configureCalls.Should().Be(1);
        options.ThoughtTokens.Should().Be(3, "a checkpoint starts from the options it was trained with");
        options.PolicyLossWeight.Should().Be(7);
        options.TalkTokens.Should().Be(3);
        pipeline.Options.Should().Be(options);
    }

    [Fact]
    public void Invalid_options_fail_with_a_message_naming_the_option()
    {
        using var provider = new ServiceCollection()
            .AddQuietStar(b => b.UseModel(Stories).ConfigureOptions(o => o.Passes = 1))
            .BuildServiceProvider();

        var act = () => provider.GetRequiredService<IOptions<QuietStarOptions>>().Value;
        act.Should().Throw<OptionsValidationException>().WithMessage("*Passes*mean baseline*");
        var pipeline = () => provider.GetRequiredService<QuietStarPipeline>();
        pipeline.Should().Throw<OptionsValidationException>();
    }

    [Fact]
    public void A_host_start_up_validation_fails_on_invalid_options_before_any_model_is_loaded()
    {
        using var invalid = new ServiceCollection()
            .AddQuietStar(b => b.UseModel(ModelSource.Llama2c("/nonexistent.bin", "/nonexistent.model")).ConfigureOptions(o => o.ReinforceTemperature = 0))
            .BuildServiceProvider();
        var start = () => invalid.GetRequiredService<IStartupValidator>().Validate();   // what a host runs at start
        start.Should().Throw<OptionsValidationException>().WithMessage("*ReinforceTemperature*");

        using var valid = new ServiceCollection().AddQuietStar(b => b.UseModel(Stories)).BuildServiceProvider();
        valid.GetRequiredService<IStartupValidator>().Invoking(v => v.Validate()).Should().NotThrow();
    }
}
