using FluentAssertions;
using QuietStar.Core.Model;
using QuietStar.Core.Tests.Fixtures;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace QuietStar.Core.Tests.Model;

public sealed class KeyValueCacheTests
{
    [Fact]
    public void Truncate_cuts_every_layer_so_decoding_continues_as_if_the_dropped_tokens_were_never_fed()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var model = TinyModels.Create(seed: 21);
        var ids = TinyModels.RandomIds(1, 8, 96, seed: 22);                                        // [1, 8]
        using var cache = new KeyValueCache(model.Config.NumLayers);
        model.Forward(new ModelInput { InputIds = ids.narrow(1, 0, 5), Cache = cache });
        model.Forward(new ModelInput { InputIds = TinyModels.RandomIds(1, 3, 96, seed: 23), Cache = cache }); // 3 tokens to drop

        cache.Truncate(5);
        var resumed = model.Forward(new ModelInput { InputIds = ids.narrow(1, 5, 3), Cache = cache }).Logits!;  // [1, 3, V]
        var whole = model.Forward(new ModelInput { InputIds = ids }).Logits!.narrow(1, 5, 3);                    // [1, 3, V]

        cache.Length.Should().Be(8);
        TinyQuietStar.MaxAbsDiff(resumed, whole).Should().BeLessThan(1e-5f, "every layer forgot the dropped keys");
    }
}
