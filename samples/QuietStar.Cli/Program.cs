using QuietStar.Cli;
using QuietStar.Cli.Infrastructure;
using QuietStar.Core;

// Before anything loads the native torch runtime: OpenMP's active wait makes torch's threads spin on small VMs.
QuietStarRuntime.UsePassiveOpenMpWait();

// The first Ctrl+C asks the verb to stop (train saves its last completed step); a second one ends the process.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};

return CliApp.Run(args, CliConsole.Create(), cancellation.Token);
