using System.Text.Json.Serialization;

namespace QuietStar.Core.Evaluation.TextNll;

/// <summary>
/// Per-token negative log-likelihoods (nats) of a text, without and with thoughts. The per-token arrays are paired
/// (same tokens, same order) so that <see cref="Statistics.PairedBootstrap"/> can compare them or another model's;
/// they are left out of JSON to keep it small.
/// </summary>
/// <param name="NTokens">Text tokens scored.</param>
/// <param name="BaseNll">Mean base NLL.</param>
/// <param name="TalkNll">Mean NLL after a thought (the mixed prediction); null without thoughts.</param>
/// <param name="BaseNllHard">Mean base NLL over the hard tokens.</param>
/// <param name="TalkNllHard">Mean NLL after a thought over the hard tokens; null without thoughts.</param>
/// <param name="MeanMixingWeight">Mean mixing weight w over the scored positions; null without thoughts.</param>
/// <param name="HardFraction">Share of tokens counted as hard: those with the highest base NLL under this model.</param>
/// <param name="BaseNllPerToken">Base NLL of every scored token, in text order.</param>
/// <param name="TalkNllPerToken">NLL after a thought of every scored token; null without thoughts.</param>
/// <param name="HardTokenIndices">Indices (ascending) into the per-token arrays of the hard tokens.</param>
/// <param name="Config">The configuration the evaluation ran with.</param>
public sealed record TextNllResult(
    [property: JsonPropertyName("n_tokens")] int NTokens,
    [property: JsonPropertyName("base_nll")] double BaseNll,
    [property: JsonPropertyName("talk_nll")] double? TalkNll,
    [property: JsonPropertyName("base_nll_hard")] double BaseNllHard,
    [property: JsonPropertyName("talk_nll_hard")] double? TalkNllHard,
    [property: JsonPropertyName("mean_mixing_weight")] double? MeanMixingWeight,
    [property: JsonPropertyName("hard_fraction")] double HardFraction,
    [property: JsonIgnore] IReadOnlyList<double> BaseNllPerToken,
    [property: JsonIgnore] IReadOnlyList<double>? TalkNllPerToken,
    [property: JsonIgnore] IReadOnlyList<int> HardTokenIndices,
    [property: JsonPropertyName("config")] EvaluationSettings Config);
