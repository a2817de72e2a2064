using TorchSharp;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>
/// Per-layer key/value cache. Holds a sequential part (the ordinary prefix, grown by causal or masked calls) and an
/// ordered list of branch blocks (grown by <see cref="AttentionKind.Branches"/> calls, each <c>[B, Hkv, L, D]</c>)
/// with the prefix in the form branch attention reads it.
/// The cache owns its tensors: they live outside dispose scopes until replaced, truncated or disposed. Appends keep
/// autograd history, so a training step can back-propagate through every cached key.
/// </summary>
internal sealed class KeyValueCache : IDisposable
{
    private readonly Tensor?[] keys;
    private readonly Tensor?[] values;
    private readonly List<(Tensor Key, Tensor Value)>[] branches;
    private readonly (Tensor Keys, Tensor Values)?[] branchPrefix;
    private readonly System.Reflection.MethodInfo?[] branchPrefixForm; // which prefixForm built branchPrefix

    /// <summary>Creates an empty cache for a model with <paramref name="numLayers"/> layers.</summary>
    public KeyValueCache(int numLayers)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numLayers);
        keys = new Tensor?[numLayers];
        values = new Tensor?[numLayers];
        branches = Enumerable.Range(0, numLayers).Select(_ => new List<(Tensor, Tensor)>()).ToArray();
        branchPrefix = new (Tensor, Tensor)?[numLayers];
        branchPrefixForm = new System.Reflection.MethodInfo?[numLayers];
    }

    /// <summary>Number of sequential (prefix) positions cached.</summary>
    public int Length => keys[0] is { } k ? (int)k.shape[2] : 0;

    /// <summary>Number of branch blocks cached.</summary>
    public int BranchCount => branches[0].Count;

    /// <summary>The branch blocks cached at <paramref name="layer"/> (layers before it may already hold this step's).</summary>
    internal int BranchCountAt(int layer) => branches[layer].Count;

    /// <summary>Appends keys and values to the sequential part of a layer and returns the full sequential tensors.</summary>
    /// <returns>Keys and values <c>[B, Hkv, S, D]</c>, owned by the cache.</returns>
    internal (Tensor Keys, Tensor Values) AppendSequential(int layer, Tensor key, Tensor value)
    {
        if (branches[layer].Count > 0)
        {
            throw new InvalidOperationException(
                "Cannot extend the sequential cache while branch blocks are cached; call Truncate first.");
        }

        keys[layer] = Replace(keys[layer], keys[layer] is null ? key.alias() : torch.cat([keys[layer]!, key], dim: 2));
        values[layer] = Replace(values[layer], values[layer] is null ? value.alias() : torch.cat([values[layer]!, value], dim: 2));
        return (keys[layer]!, values[layer]!);
    }

    /// <summary>
    /// Appends a branch block to a layer and returns the layer's sequential prefix in the form
    /// <paramref name="prefixForm"/> makes of it (built on the first branch block and kept until the prefix changes,
    /// e.g. augmented with extra keys once for every thought step; rebuilt when another form is asked for) and all
    /// branch blocks.
    /// </summary>
    internal (Tensor Keys, Tensor Values, IReadOnlyList<(Tensor Key, Tensor Value)> Branches) AppendBranch(
        int layer, Tensor key, Tensor value, Func<Tensor, Tensor, (Tensor Keys, Tensor Values)> prefixForm)
    {
        if (keys[layer] is null)
        {
            throw new InvalidOperationException("Branch attention needs a cached prefix; run a causal pass first.");
        }

        if (branchPrefix[layer] is { } stale && branchPrefixForm[layer] != prefixForm.Method)
        {
            stale.Keys.Dispose();
            stale.Values.Dispose();
            branchPrefix[layer] = null;
        }

        if (branchPrefix[layer] is null)
        {
            var (k, v) = prefixForm(keys[layer]!, values[layer]!);
            branchPrefix[layer] = (Own(k), Own(v));
            branchPrefixForm[layer] = prefixForm.Method;
        }

        branches[layer].Add((Own(key.alias()), Own(value.alias())));
        var (prefixKeys, prefixValues) = branchPrefix[layer]!.Value;
        return (prefixKeys, prefixValues, branches[layer]);
    }

    /// <summary>
    /// Repeats every cached row <paramref name="times"/> times in place of it (row b becomes rows b·times … b·times +
    /// times − 1, as <c>repeat_interleave</c> does): a prefix computed once per sequence serves several passes over it.
    /// The copies keep autograd history, so the passes' gradients add up in the one computation.
    /// </summary>
    /// <exception cref="InvalidOperationException">Branch blocks are cached.</exception>
    internal void RepeatRows(int times)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        if (BranchCount > 0)
        {
            throw new InvalidOperationException("Cannot repeat the rows of a cache that holds branch blocks; call Truncate first.");
        }

        for (int layer = 0; layer < keys.Length && times > 1; layer++)
        {
            keys[layer] = Replace(keys[layer], keys[layer]?.repeat_interleave(times, dim: 0));
            values[layer] = Replace(values[layer], values[layer]?.repeat_interleave(times, dim: 0));
        }
    }

    /// <summary>
    /// A second cache that starts with this one's sequential keys and values (shared, not copied: appends to either
    /// make new tensors) and then grows on its own: a branch such as a thought, whose slots the text never sees.
    /// </summary>
    /// <exception cref="InvalidOperationException">Branch blocks are cached.</exception>
    internal KeyValueCache Fork()
    {
        if (BranchCount > 0)
        {
            throw new InvalidOperationException("Cannot fork a cache that holds branch blocks; call Truncate first.");
        }

        var fork = new KeyValueCache(keys.Length);
        for (int layer = 0; layer < keys.Length; layer++)
        {
            fork.keys[layer] = keys[layer] is { } k ? Own(k.alias()) : null;
            fork.values[layer] = values[layer] is { } v ? Own(v.alias()) : null;
        }

        return fork;
    }

    /// <summary>Drops every branch block and keeps the first <paramref name="length"/> sequential positions.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int current = Length; // read once: Length looks at layer 0, which the loop cuts first
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, current);
        for (int layer = 0; layer < keys.Length; layer++)
        {
            ClearBranches(layer);
            if (keys[layer] is null || length == current)
            {
                continue;
            }

            keys[layer] = Replace(keys[layer], length == 0 ? null : keys[layer]!.narrow(2, 0, length).contiguous());
            values[layer] = Replace(values[layer], length == 0 ? null : values[layer]!.narrow(2, 0, length).contiguous());
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        for (int layer = 0; layer < keys.Length; layer++)
        {
            ClearBranches(layer);
            keys[layer]?.Dispose();
            values[layer]?.Dispose();
            keys[layer] = values[layer] = null;
        }
    }

    private void ClearBranches(int layer)
    {
        if (branchPrefix[layer] is { } prefix)
        {
            prefix.Keys.Dispose();
            prefix.Values.Dispose();
            branchPrefix[layer] = null;
        }

        foreach (var (k, v) in branches[layer])
        {
            k.Dispose();
            v.Dispose();
        }

        branches[layer].Clear();
    }

    private static Tensor? Replace(Tensor? old, Tensor? fresh)
    {
        old?.Dispose();
        return fresh is null ? null : Own(fresh);
    }

    private static Tensor Own(Tensor t) => t.DetachFromDisposeScope();
}
