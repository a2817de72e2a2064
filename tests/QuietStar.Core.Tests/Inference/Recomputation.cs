using QuietStar.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Inference;

/// <summary>The slow reference decoder: runs the whole sequence through the model, without a cache, for every new token.</summary>
internal static class Recomputation
{
    public static int[] Greedy(CausalLanguageModel model, int[] prompt, int steps)
    {
        var ids = prompt.Select(id => (long)id).ToList();
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var logits = model.Forward(new ModelInput { InputIds = tensor(ids.ToArray(), [1, ids.Count]) }).Logits!; // [1, L, V]
            ids.Add(logits[0, -1].argmax().item<long>());
        }

        return [.. ids.Skip(prompt.Length).Select(id => (int)id)];
    }
}
