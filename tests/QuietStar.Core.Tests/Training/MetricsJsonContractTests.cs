using System.Text.Json;
using FluentAssertions;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Tests.Fixtures;
using QuietStar.Core.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Training;

/// <summary>
/// The step metrics and the validation metrics are serialised as they are (the CLI's <c>train</c> JSON, a host's logs),
/// so their JSON names are part of the API: renaming a property must not rename a key, whatever the serialiser's policy.
/// </summary>
public sealed class MetricsJsonContractTests
{
    private static readonly string[] StepKeys =
    [
        "advantage_std", "base_nll", "distinct_thoughts", "language_modeling_loss", "loss", "mean_talk_nll", "mixing_weight_max",
        "mixing_weight_mean", "mixing_weight_min", "mixing_weight_p10", "mixing_weight_p50", "mixing_weight_p90", "mixing_weight_std",
        "policy_loss", "policy_to_language_modeling_ratio", "policy_weight", "positive_advantage_fraction", "reward_mean",
        "talk_minus_base", "talk_nll", "thought_entropy", "thought_kl", "weighted_entropy_bonus", "weighted_policy_loss",
        "weighted_thought_kl",
    ];

    private static readonly string[] ValidationKeys =
    [
        "base_nll", "hard_base_nll", "hard_talk_minus_base", "hard_talk_nll", "hard_tokens", "mean_mixing_weight", "talk_minus_base",
        "talk_nll", "tokens",
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Step_metrics_keep_their_snake_case_keys_under_any_naming_policy(bool camelCase)
    {
        using var scope = torch.NewDisposeScope();
        using var model = TinyQuietStar.Create(TinyQuietStar.SmallOptions(), seed: 41, liveHead: true);
        var metrics = new QuietStarObjective(model).Compute(TinyModels.RandomIds(2, 10, 96, seed: 42), null, new Generator(43)).Metrics();

        Keys(metrics, camelCase).Should().BeEquivalentTo(StepKeys);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Validation_metrics_keep_their_snake_case_keys_under_any_naming_policy(bool camelCase)
    {
        var metrics = new ValidationMetrics
        {
            BaseNll = 2, TalkNll = 1.5, HardBaseNll = 4, HardTalkNll = 3, MeanMixingWeight = 0.25, Tokens = 100, HardTokens = 10,
        };

        Keys(metrics, camelCase).Should().BeEquivalentTo(ValidationKeys);
    }

    private static IEnumerable<string> Keys<T>(T value, bool camelCase)
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = camelCase ? JsonNamingPolicy.CamelCase : null };
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(value, options));
        return json.RootElement.EnumerateObject().Select(p => p.Name).ToList();
    }
}
