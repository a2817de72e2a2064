using System.Diagnostics;
using QuietStar.Core.Algorithm;
using QuietStar.Core.Model;
using QuietStar.Cli.Infrastructure;
using TorchSharp;

namespace QuietStar.Cli.Commands.Bench;

/// <summary>
/// Where a training step's time goes, from a stopwatch, the model's forward events and module hooks (torch on the CPU
/// runs synchronously, so a clock reading in a handler is the op's end): each forward call of the language model by kind (call 0 the base pass,
/// calls 1 … T+1 START and the T thought tokens, the rest the M talk steps), the MLP and RMSNorm modules inside them,
/// the rest of the objective (LM head, sampling, mixing, losses), backward, gradient clipping and AdamW.
/// </summary>
internal sealed class StepBreakdown
{
    private readonly int thoughtCalls;
    private readonly Stopwatch clock = new();
    private readonly Dictionary<string, double> current = [];
    private readonly List<Dictionary<string, double>> kept = [];
    private double callStart;
    private double mlpStart;
    private double normStart;
    private double lastMark;
    private int call;

    /// <summary>The step parts timed by <see cref="Mark"/>.</summary>
    public enum Part
    {
        /// <summary>The objective's forward (every model call and the work between them).</summary>
        Objective,

        /// <summary>loss.backward().</summary>
        Backward,

        /// <summary>Gradient clipping.</summary>
        Clip,

        /// <summary>AdamW's step.</summary>
        Optimizer,
    }

    /// <summary>Times the model's forward calls (its profiling events) and hooks its MLP and norm modules.</summary>
    public StepBreakdown(CausalLanguageModel model, QuietStarOptions options)
    {
        thoughtCalls = options.ThoughtTokens + 1;
        model.ForwardStarting += (_, _) => callStart = Now;
        model.ForwardCompleted += (_, _) =>
        {
            string kind = call == 0 ? "base_forward" : call <= thoughtCalls ? "thought_forward" : "talk_forward";
            Add(kind, Now - callStart);
            call++;
        };
        // The backbone's submodules are internal: found by their Hugging Face names (model.layers.N.mlp,
        // model.layers.N.input_layernorm / post_attention_layernorm, model.norm).
        foreach (var (name, module) in model.named_modules())
        {
            string last = name[(name.LastIndexOf('.') + 1)..];
            if (module is not torch.nn.Module<torch.Tensor, torch.Tensor> unary)
            {
                continue;
            }

            if (last == "mlp")
            {
                unary.register_forward_pre_hook((_, x) => { mlpStart = Now; return x; });
                unary.register_forward_hook((_, _, y) => { Add(call == 0 ? "base_mlp" : "thought_and_talk_mlp", Now - mlpStart); return y; });
            }
            else if (last is "norm" or "input_layernorm" or "post_attention_layernorm")
            {
                unary.register_forward_pre_hook((_, x) => { normStart = Now; return x; });
                unary.register_forward_hook((_, _, y) => { Add(call == 0 ? "base_rmsnorm" : "thought_and_talk_rmsnorm", Now - normStart); return y; });
            }
        }
    }

    private double Now => clock.Elapsed.TotalSeconds;

    /// <summary>Starts timing a step.</summary>
    public void BeginStep()
    {
        current.Clear();
        call = 0;
        clock.Restart();
        lastMark = 0;
    }

    /// <summary>Ends <paramref name="part"/>, which began at the previous mark.</summary>
    public void Mark(Part part)
    {
        double now = Now;
        Add(part switch
        {
            Part.Objective => "objective_forward_total",
            Part.Backward => "backward",
            Part.Clip => "clip_grad_norm",
            _ => "adamw",
        }, now - lastMark);
        lastMark = now;
    }

    /// <summary>Keeps the step just timed (a timed, not a warm-up, step).</summary>
    public void Keep() => kept.Add(new Dictionary<string, double>(current));

    /// <summary>Median seconds per step of each part, plus the objective's work outside the model calls.</summary>
    public Dictionary<string, double> Summary()
    {
        var summary = new Dictionary<string, double>();
        foreach (string key in kept.SelectMany(k => k.Keys).Distinct())
        {
            summary[key] = Math.Round(Statistics.Median(kept.Select(k => k.GetValueOrDefault(key)).ToList()), 4);
        }

        var outside = kept.Select(k => k.GetValueOrDefault("objective_forward_total")
            - k.GetValueOrDefault("base_forward") - k.GetValueOrDefault("thought_forward") - k.GetValueOrDefault("talk_forward")).ToList();
        summary["objective_outside_model_calls"] = Math.Round(Statistics.Median(outside), 4);
        return summary;
    }

    private void Add(string key, double seconds) => current[key] = current.GetValueOrDefault(key) + seconds;
}
