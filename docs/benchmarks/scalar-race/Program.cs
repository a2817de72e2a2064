// TorchSharp 0.107: a temporary Scalar (square() is pow(2)) can be finalised while libtorch reads it, when another thread
// triggers a collection. One thread runs square() (or x * x) on a 64 x 64 tensor for 20 s while another allocates and
// forces collections and finalisers. Session 20, Zen 5, 1 torch thread: square() 5,694,900 calls, 1 failure ("Unknown
// scalar type."); x * x 6,072,520 calls, 0 failures (output.txt).
using TorchSharp;
using static TorchSharp.torch;
var x = torch.randn(64, 64);
bool useSquare = args.Length == 0 || args[0] == "square";
var stop = false;
var gc = new Thread(() => { while (!stop) { var junk = new byte[1 << 16]; GC.KeepAlive(junk); GC.Collect(); GC.WaitForPendingFinalizers(); } });
gc.Start();
int failures = 0;
var clock = System.Diagnostics.Stopwatch.StartNew();
long n = 0;
while (clock.Elapsed.TotalSeconds < 20)
{
    try
    {
        using var y = useSquare ? x.square() : x * x;
        n++;
    }
    catch (Exception e) { failures++; if (failures == 1) Console.WriteLine(e.Message.Split('\n')[0]); }
}
stop = true; gc.Join();
Console.WriteLine($"{(useSquare ? "square()" : "x*x")}: {n} calls, {failures} failures");
