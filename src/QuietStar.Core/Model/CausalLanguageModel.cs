using QuietStar.Core.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace QuietStar.Core.Model;

/// <summary>
/// A Llama-family causal language model (Llama, Mistral, Qwen2, llama2.c). Its state dict uses Hugging Face names
/// (<c>model.layers.0.self_attn.q_proj.weight</c>, …, <c>lm_head.weight</c> when untied). It knows nothing of
/// thoughts: Quiet-STaR drives it only through <see cref="ModelInput"/> (embeddings, positions, attention, cache).
/// </summary>
public sealed class CausalLanguageModel : nn.Module<ModelInput, ModelOutput>
{
    [ComponentName(Name = "model")]
    private readonly TransformerBody body;

    [ComponentName(Name = "lm_head")]
    private Linear? lmHead;

    /// <summary>Creates a model with uninitialised weights on <paramref name="device"/> in <paramref name="dtype"/>.</summary>
    /// <exception cref="InvalidOperationException">TorchSharp's native backend cannot be loaded; the message names the cause.</exception>
    public CausalLanguageModel(TransformerConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32)
        : base(TorchNative.EnsureLoaded(nameof(CausalLanguageModel)))  // the first torch touch of most applications
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Device = device ?? torch.CPU;
        DType = dtype;
        body = new TransformerBody(config, Device, dtype);
        lmHead = config.TieWordEmbeddings
            ? null
            : nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: Device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>The model's hyper-parameters (the vocabulary size follows <see cref="ResizeVocabulary"/>).</summary>
    public TransformerConfig Config { get; private set; }

    /// <summary>The device the parameters live on.</summary>
    public Device Device { get; }

    /// <summary>The parameter dtype.</summary>
    public ScalarType DType { get; }

    /// <summary>The token embedding matrix <c>[V, H]</c>.</summary>
    public Parameter EmbeddingWeight => body.EmbeddingWeight;

    /// <summary>The classifier matrix <c>[V, H]</c> (the embedding matrix when tied).</summary>
    public Parameter ClassifierWeight => lmHead?.weight ?? body.EmbeddingWeight;

    /// <summary>Looks up token embeddings: ids <c>[B, L]</c> → <c>[B, L, H]</c>.</summary>
    public Tensor Embed(Tensor ids)
    {
        CheckIds(ids);
        return body.Embed(ids);
    }

    /// <summary>Applies the classifier: hidden <c>[..., H]</c> → logits <c>[..., V]</c>.</summary>
    public Tensor ComputeLogits(Tensor hidden) => nn.functional.linear(hidden, ClassifierWeight);

    /// <summary>Runs the model.</summary>
    /// <exception cref="ArgumentException">The input is inconsistent (both or neither of ids and embeddings, wrong shapes, ids outside the vocabulary, sequence beyond the context).</exception>
    public override ModelOutput forward(ModelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = torch.NewDisposeScope();
        var embeddings = (input.InputIds, input.InputEmbeddings) switch
        {
            ({ } ids, null) => Embed(ids),
            (null, { } e) => CheckEmbeddings(e),
            _ => throw new ArgumentException("Pass exactly one of InputIds and InputEmbeddings.", nameof(input)),
        };                                                                               // [B, L, H]
        var positions = input.PositionIds ?? DefaultPositions(embeddings, input.Cache);  // [B, L]
        if (positions.dim() != 2 || positions.shape[0] != embeddings.shape[0] || positions.shape[1] != embeddings.shape[1])
        {
            throw new ArgumentException(
                $"PositionIds has shape [{string.Join(", ", positions.shape)}]; expected [{embeddings.shape[0]}, {embeddings.shape[1]}].");
        }

        var hidden = body.Forward(embeddings, positions, input.Attention, input.Cache);   // [B, L, H]
        var logits = input.ComputeLogits ? ComputeLogits(hidden) : null;                   // [B, L, V]
        return new ModelOutput(hidden.MoveToOuterDisposeScope(), logits?.MoveToOuterDisposeScope());
    }

    /// <summary>Initialises every weight as Hugging Face does for a fresh model: Normal(0, <paramref name="std"/>), norms to 1, biases to 0.</summary>
    public void InitializeWeights(Generator generator, double std = 0.02)
    {
        ArgumentNullException.ThrowIfNull(generator);
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                p.fill_(1.0);
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                p.zero_();
            }
            else
            {
                p.normal_(0.0, std, generator);
            }
        }
    }

    /// <summary>Copies weights (Hugging Face names) into the model, converting dtype and device.</summary>
    /// <exception cref="InvalidDataException">A weight is missing, unexpected or has the wrong shape; the message names it.</exception>
    public void LoadWeights(IReadOnlyDictionary<string, Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var parameters = named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var missing = parameters.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"Checkpoint lacks {missing.Count} weight(s) the model needs: {string.Join(", ", missing.Take(5))}.");
        }

        var unexpected = weights.Keys.Where(k => !parameters.ContainsKey(k) && !k.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)).ToList();
        if (unexpected.Count > 0)
        {
            throw new InvalidDataException(
                $"Checkpoint has {unexpected.Count} weight(s) this {Config.ModelType} model does not: {string.Join(", ", unexpected.Take(5))}.");
        }

        using var noGrad = torch.no_grad();
        foreach (var (name, p) in parameters)
        {
            var source = weights[name];
            if (!source.shape.SequenceEqual(p.shape))
            {
                throw new InvalidDataException(
                    $"Weight '{name}' has shape [{string.Join(", ", source.shape)}]; the configuration needs [{string.Join(", ", p.shape)}].");
            }

            p.copy_(source);
        }
    }

    /// <summary>The model's weights under their Hugging Face names (live parameter tensors; do not dispose).</summary>
    public IReadOnlyDictionary<string, Tensor> Weights() =>
        named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

    /// <summary>
    /// Grows the vocabulary to <paramref name="newSize"/> rows (e.g. for extra special tokens), keeping the existing
    /// rows and drawing the new ones from Normal(0, <paramref name="std"/>), as Hugging Face's resize does. With tied
    /// embeddings the classifier grows with them.
    /// </summary>
    public void ResizeVocabulary(int newSize, Generator generator, double std = 0.02)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (newSize < Config.VocabSize)
        {
            throw new ArgumentOutOfRangeException(nameof(newSize), $"Cannot shrink the vocabulary from {Config.VocabSize} to {newSize}.");
        }

        if (newSize == Config.VocabSize)
        {
            return;
        }

        body.SetEmbeddingWeight(Grow(body.EmbeddingWeight, newSize, generator, std));
        if (lmHead is not null)
        {
            lmHead.weight = Grow(lmHead.weight!, newSize, generator, std);
        }

        Config = Config with { VocabSize = newSize };
    }

    private Parameter Grow(Tensor old, int rows, Generator generator, double std)
    {
        using var noGrad = torch.no_grad();
        var extra = torch.empty(rows - old.shape[0], old.shape[1], dtype: DType, device: Device).normal_(0.0, std, generator);
        return nn.Parameter(torch.cat([old, extra], dim: 0));
    }

    private void CheckIds(Tensor ids)
    {
        if (ids.dtype != ScalarType.Int64 || ids.dim() != 2)
        {
            throw new ArgumentException($"InputIds must be int64 [B, L]; got {ids.dtype} [{string.Join(", ", ids.shape)}].");
        }

        if (ids.numel() > 0)
        {
            long min = ids.min().item<long>(), max = ids.max().item<long>();
            if (min < 0 || max >= Config.VocabSize)
            {
                throw new ArgumentException(
                    $"Token id {(min < 0 ? min : max)} is outside the model's vocabulary [0, {Config.VocabSize}). Does the tokenizer match the model?");
            }
        }
    }

    private Tensor CheckEmbeddings(Tensor e)
    {
        if (e.dim() != 3 || e.shape[2] != Config.HiddenSize)
        {
            throw new ArgumentException($"InputEmbeddings must be [B, L, {Config.HiddenSize}]; got [{string.Join(", ", e.shape)}].");
        }

        return e.dtype == DType ? e : e.to_type(DType);
    }

    private Tensor DefaultPositions(Tensor embeddings, KeyValueCache? cache)
    {
        long b = embeddings.shape[0], l = embeddings.shape[1], start = cache?.Length ?? 0;
        if (start + l > Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException(
                $"The sequence reaches {start + l} tokens but the model's context is {Config.MaxPositionEmbeddings}. Shorten the input.");
        }

        return torch.arange(start, start + l, dtype: ScalarType.Int64, device: Device).unsqueeze(0).expand(b, l);
    }
}
