// The float32 matrix-product rate (GFLOP/s) of libtorch on one thread (or the count given as the first argument), for the products of a training step of the
// dim-256 model (N = 2048 tokens per call) and of stories260K (dim 64), plus a large square product as the ceiling.
// Each shape: 5 warm-up products, then 7 timed repetitions of ≥ 4 GFLOP each; one JSON line per shape (median, min, max).
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

torch.set_num_threads(args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1);
(long M, long K, long N, string What)[] shapes =
[
    (2048, 256, 688, "dim 256: MLP gate/up"), (2048, 688, 256, "dim 256: MLP down"), (2048, 256, 256, "dim 256: q/o projection"),
    (2048, 256, 128, "dim 256: k/v projection"), (688, 2048, 256, "dim 256: weight gradient [I, N] x [N, H]"),
    (2048, 256, 512, "dim 256: LM head"), (2048, 512, 256, "dim 256: LM head dX"),
    (2048, 64, 172, "dim 64: MLP gate/up"), (2048, 64, 64, "dim 64: q/o projection"), (2048, 64, 512, "dim 64: LM head"),
    (172, 2048, 64, "dim 64: weight gradient"), (2048, 2048, 2048, "square 2048"),
];
foreach (var (m, k, n, what) in shapes)
{
    using var a = torch.randn(m, k);                                            // [M, K]
    using var b = torch.randn(k, n);                                            // [K, N]
    for (int i = 0; i < 5; i++)
    {
        using var warm = a.matmul(b);                                           // [M, N]
    }

    int reps = (int)Math.Max(3, 4e9 / (2.0 * m * k * n));
    var rates = new List<double>();
    for (int r = 0; r < 7; r++)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++)
        {
            using var c = a.matmul(b);                                          // [M, N]
        }

        rates.Add(2.0 * m * k * n * reps / clock.Elapsed.TotalSeconds / 1e9);
    }

    rates.Sort();
    Console.WriteLine($"{{\"shape\":\"{what}\",\"m\":{m},\"k\":{k},\"n\":{n},\"gflop_per_s_median\":{rates[3]:F1},"
        + $"\"gflop_per_s_min\":{rates[0]:F1},\"gflop_per_s_max\":{rates[6]:F1},\"threads\":{torch.get_num_threads()}}}");
}
