// Issue 15, session 20: what libtorch's CPU flash attention (SDPA) costs at the thought step's shapes, forward and
// forward + backward, at the head widths the SDPA path uses: D = 8 (stories260K's head), 9 (D + the sink lane) and
// 16 (that rounded up to a multiple of 8, which the SDPA path runs). Causal, B·nH = 8 rows × 8 heads, 257 queries and keys
// (the sink row included), 1 thread (or the count given). 5 warm-up runs, then the median of 21; one JSON line per width.
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

torch.set_num_threads(args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1);
foreach (var d in new[] { 8, 9, 16 })
{
    using var q = torch.randn(8, 8, 257, d).requires_grad_();                 // [B, nH, L, D]
    using var k = torch.randn(8, 8, 257, d).requires_grad_();
    using var v = torch.randn(8, 8, 257, d).requires_grad_();
    var forward = new List<double>();
    var both = new List<double>();
    for (int r = 0; r < 26; r++)
    {
        using var scope = torch.NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var o = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true); // [B, nH, L, D]
        double f = clock.Elapsed.TotalMilliseconds;
        o.sum().backward();
        if (r >= 5)
        {
            forward.Add(f);
            both.Add(clock.Elapsed.TotalMilliseconds);
        }

        q.grad!.zero_();
        k.grad!.zero_();
        v.grad!.zero_();
    }

    forward.Sort();
    both.Sort();
    Console.WriteLine($"{{\"head_dim\":{d},\"forward_ms_median\":{forward[10]:F2},\"forward_backward_ms_median\":{both[10]:F2},"
        + $"\"forward_backward_ms_min\":{both[0]:F2},\"forward_backward_ms_max\":{both[^1]:F2},\"threads\":{torch.get_num_threads()}}}");
}
