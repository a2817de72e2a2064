using QuietStar.Core.Algorithm;
using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Oracle;

/// <summary>
/// A deliberately plain, slow, sequential float64 statement of one Quiet-STaR training step's objective, written from
/// docs/quietstar-reference.md §2–4 and sharing no code with the library's algorithm: the only library code it calls
/// is the backbone's forward on one explicit sequence with positions 0..n−1 (and its embedding lookup / parameters).
/// For every row and position t it splices the thought inline, <c>[x_0..x_t, START, c_1..c_T, END, x_{t+1}..x_{t+s}]</c>,
/// runs the plain causal forward once, reads the thought-token logits and the talk hidden states off it, applies the
/// mixing head by hand, and scores everything one scalar at a time. Rewards, baselines and advantages are plain
/// doubles. The loss keeps its autograd history, so <c>Loss.backward()</c> gives the oracle's gradients.
/// </summary>
/// <remarks>
/// Padding must be on the right. A reward position t (t &lt; L−1−M) is <em>scored</em> when at least one of its targets
/// x_{t+1..t+M} is real; the others have reward and advantage exactly 0 and contribute nothing. The advantage standard
/// deviation (for <see cref="QuietStarOptions.NormalizeAdvantages"/>) is the population std over the scored positions
/// of all rows. Mixing-weight statistics are over the (row, t, s) whose talk prediction is scored.
/// </remarks>
internal static class ObjectiveOracle
{
    private const double Unsampleable = -1e10;

    /// <summary>What the oracle computed.</summary>
    /// <param name="Loss">The total loss (scalar, with autograd history).</param>
    /// <param name="LanguageModelingLoss">w_base·base + (1−w_base)·mean_s talk_s.</param>
    /// <param name="PolicyLoss">The unweighted REINFORCE loss.</param>
    /// <param name="AdvantageStd">Std of the baselined advantages over the scored positions, before normalisation.</param>
    /// <param name="Advantage">The advantages before the clamp (after normalisation), <c>[R][n]</c>.</param>
    /// <param name="ScoredMixingWeights">Every mixing weight that entered a scored talk prediction.</param>
    /// <param name="UnscoredRewardPositions">How many (row, t &lt; n) pairs had no real target.</param>
    public sealed record Output(Tensor Loss, double LanguageModelingLoss, double PolicyLoss, double AdvantageStd, double[][] Advantage,
        IReadOnlyList<double> ScoredMixingWeights, int UnscoredRewardPositions);

    /// <summary>Computes the objective of <paramref name="ids"/> (B sequences of L tokens) with the given thought tokens.</summary>
    /// <param name="model">The equipped model (float64).</param>
    /// <param name="options">The algorithm's options (T, M, P, weights, temperatures, baseline, normalisation, clamp, mixing space).</param>
    /// <param name="ids">Token ids, <c>ids[b][t]</c>.</param>
    /// <param name="real">False at padding (right padding only), <c>real[b][t]</c>.</param>
    /// <param name="thoughts">The thought tokens to replay, <c>thoughts[r][t][k]</c> for row r = b·P + pass.</param>
    /// <param name="policyWeight">The weight of the REINFORCE term (0 leaves it out).</param>
    public static Output Compute(QuietStarModel model, QuietStarOptions options, long[][] ids, bool[][] real, long[][][] thoughts, double policyWeight)
    {
        var lm = model.LanguageModel;
        var device = lm.Device;
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        double scale = options.ThoughtEmbeddingGradientScale;
        var start = parameters["thought_embeddings.start_embedding"] * scale;                 // [H]: e = scale·p
        var end = parameters["thought_embeddings.end_embedding"] * scale;                     // [H]
        var classifier = lm.ClassifierWeight;                                                  // [V, H]
        int sequences = ids.Length, length = ids[0].Length, passes = options.Passes, rows = sequences * passes;
        int thoughtTokens = options.ThoughtTokens, talk = options.TalkTokens, n = length - 1 - talk;
        long vocab = classifier.shape[0];
        var unsampleable = torch.zeros(vocab, dtype: ScalarType.Bool, device: device);         // [V]
        unsampleable[model.StartThoughtId] = true;
        unsampleable[model.EndThoughtId] = true;

        var baseNllSum = Zero(device);
        int baseCount = 0;
        var talkNllSum = Enumerable.Range(0, talk).Select(_ => Zero(device)).ToArray();
        var talkCount = new int[talk];
        var reward = new double[rows][];
        var scored = new bool[rows][];
        var logProbs = new Tensor?[rows, n, thoughtTokens];                                    // log p(c_k) at the REINFORCE temperature
        var weights = new List<double>();

        for (int r = 0; r < rows; r++)
        {
            long[] x = ids[r / passes];
            int realLength = RealLength(real[r / passes]);
            reward[r] = new double[n];
            scored[r] = new bool[n];

            // The base pass over the real tokens only: h_base(j), z_base(j) for j < realLength.
            var baseOut = lm.Forward(new ModelInput { InputEmbeddings = Embed(lm, x.Take(realLength)), PositionIds = Positions(realLength, device) });
            var baseHidden = baseOut.Hidden[0];                                                // [len, H]
            var baseLogits = baseOut.Logits![0];                                               // [len, V]
            var baseNll = new Tensor?[length];
            for (int t = 0; t + 1 < realLength; t++)
            {
                baseNll[t] = -baseLogits[t].log_softmax(0)[x[t + 1]];                           // scalar
                baseNllSum += baseNll[t]!;
                baseCount++;
            }

            for (int t = 0; t + 1 < realLength; t++)
            {
                // The thought spliced inline after x_t, then END and the teacher-forced x_{t+1..t+s}, as far as a real target remains.
                int lastTalk = Math.Min(talk - 1, realLength - 2 - t);
                var parts = new List<Tensor> { Embed(lm, x.Take(t + 1)), start.view(1, 1, -1) };
                parts.AddRange(thoughts[r][t].Select(c => Embed(lm, [c])));
                parts.Add(end.view(1, 1, -1));
                parts.AddRange(Enumerable.Range(1, lastTalk).Select(s => Embed(lm, [x[t + s]])));
                var sequence = torch.cat(parts.ToArray(), dim: 1);                               // [1, t+1+T+2+lastTalk, H]
                var output = lm.Forward(new ModelInput { InputEmbeddings = sequence, PositionIds = Positions(sequence.shape[1], device) });
                var hidden = output.Hidden[0];                                                 // [N, H]
                var logits = output.Logits![0];                                               // [N, V]

                if (t < n)
                {
                    for (int k = 0; k < thoughtTokens; k++)
                    {
                        // Thought token c_{k+1} was sampled from the output at START (index t+1) or at c_k (index t+1+k).
                        var masked = logits[t + 1 + k].masked_fill(unsampleable, Unsampleable);  // [V]
                        logProbs[r, t, k] = (masked / options.ReinforceTemperature).log_softmax(0)[thoughts[r][t][k]];
                    }
                }

                for (int s = 0; s <= lastTalk; s++)
                {
                    var talkHidden = hidden[t + thoughtTokens + 2 + s];                         // [H]: after END (s = 0) or x_{t+s}
                    var hBase = baseHidden[t + s];                                             // [H]: the base state for the same target
                    var w = MixingWeight(parameters, hBase, talkHidden);                       // scalar
                    var mixed = options.MixingSpace == MixingSpace.Logits
                        ? ((1 - w) * baseLogits[t + s]) + (w * classifier.matmul(talkHidden))   // [V]
                        : classifier.matmul(((1 - w) * hBase) + (w * talkHidden));             // [V]
                    var talkNll = -mixed.log_softmax(0)[x[t + s + 1]];                          // scalar
                    talkNllSum[s] += talkNll;
                    talkCount[s]++;
                    weights.Add(w.item<double>());
                    if (t < n)
                    {
                        reward[r][t] += baseNll[t + s]!.item<double>() - talkNll.item<double>();
                        scored[r][t] = true;
                    }
                }
            }
        }

        // L_NLL = w_base · mean(NLL_base) + (1 − w_base) · (1/M) Σ_s mean(NLL_s), means over real targets.
        var baseLoss = baseNllSum / baseCount;
        var talkMean = Zero(device);
        for (int s = 0; s < talk; s++)
        {
            talkMean += talkNllSum[s] / talkCount[s] / talk;
        }

        var languageModeling = (options.BaseLossWeight * baseLoss) + ((1 - options.BaseLossWeight) * talkMean);

        // Advantages: reward minus the mean over the P passes of the same sequence (self included).
        var advantage = new double[rows][];
        for (int r = 0; r < rows; r++)
        {
            advantage[r] = new double[n];
            for (int t = 0; t < n; t++)
            {
                double baseline = 0;
                if (options.MeanBaseline)
                {
                    int first = r / passes * passes;
                    for (int j = first; j < first + passes; j++)
                    {
                        baseline += reward[j][t] / passes;
                    }
                }

                advantage[r][t] = reward[r][t] - baseline;
            }
        }

        // Population std over the scored positions of every row.
        double sum = 0, count = 0;
        ForEachScored((r, t) => { sum += advantage[r][t]; count++; });
        double mean = sum / count, squares = 0;
        ForEachScored((r, t) => squares += (advantage[r][t] - mean) * (advantage[r][t] - mean));
        double std = Math.Sqrt(squares / count);
        if (options.NormalizeAdvantages)
        {
            double divisor = Math.Max(std, 1e-6);
            ForEachScored((r, t) => advantage[r][t] /= divisor);
        }

        // L_PG = (1/T) Σ_k mean over all R·n (row, t) of −A⁺(t)·log p(c_k(t)); unscored positions have A = 0.
        var policy = Zero(device);
        int unscored = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int t = 0; t < n; t++)
            {
                if (!scored[r][t])
                {
                    unscored++;
                    continue;
                }

                double a = options.ClampNegativeAdvantages ? Math.Max(advantage[r][t], 0) : advantage[r][t];
                for (int k = 0; k < thoughtTokens; k++)
                {
                    policy += -a * logProbs[r, t, k]! / ((double)rows * n * thoughtTokens);
                }
            }
        }

        var total = policyWeight > 0 ? languageModeling + (policyWeight * policy) : languageModeling;
        return new Output(total, languageModeling.item<double>(), policy.item<double>(), std, advantage, weights, unscored);

        void ForEachScored(Action<int, int> visit)
        {
            for (int r = 0; r < rows; r++)
            {
                for (int t = 0; t < n; t++)
                {
                    if (scored[r][t])
                    {
                        visit(r, t);
                    }
                }
            }
        }
    }

    /// <summary>w = W₃·relu(W₂·relu(W₁·[h_base; h_thought] + b₁) + b₂), by hand from the head's parameters (scalar).</summary>
    private static Tensor MixingWeight(Dictionary<string, Tensor> p, Tensor baseHidden, Tensor thoughtHidden)
    {
        var x = torch.cat([baseHidden, thoughtHidden], dim: 0);                                          // [2H]
        var a = (p["talk_head.input.weight"].matmul(x) + p["talk_head.input.bias"]).relu();              // [H]
        var b = (p["talk_head.hidden.weight"].matmul(a) + p["talk_head.hidden.bias"]).relu();            // [H]
        return p["talk_head.output.weight"].matmul(b).squeeze(0);                                       // scalar
    }

    private static Tensor Embed(CausalLanguageModel lm, IEnumerable<long> tokens)
    {
        long[] array = tokens.ToArray();
        return lm.Embed(torch.tensor(array, dtype: ScalarType.Int64, device: lm.Device).view(1, array.Length)); // [1, n, H]
    }

    private static Tensor Positions(long count, Device device) =>
        torch.arange(count, dtype: ScalarType.Int64, device: device).view(1, count);                    // [1, n]

    private static Tensor Zero(Device device) => torch.zeros(Array.Empty<long>(), dtype: ScalarType.Float64, device: device);

    private static int RealLength(bool[] real)
    {
        int realLength = real.TakeWhile(b => b).Count();
        if (real.Skip(realLength).Any(b => b))
        {
            throw new ArgumentException("The oracle takes right padding only.", nameof(real));
        }

        return realLength;
    }
}
