namespace QuietStar.Core.Training;

/// <summary>One measurement of a <see cref="TrainingSoak"/> run.</summary>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="LiveTensors">Tensors created and not disposed on the training thread (TorchSharp's per-thread statistics).</param>
/// <param name="TotalTensors">Tensor objects alive in the process (<c>Tensor.TotalCount</c>).</param>
/// <param name="ResidentBytes">Resident set size of the process.</param>
/// <param name="Threads">Threads of the process.</param>
/// <param name="Loss">The step's loss.</param>
internal sealed record SoakSample(int Step, long LiveTensors, long TotalTensors, long ResidentBytes, int Threads, double Loss)
{
    public override string ToString() =>
        $"step {Step,6}  live tensors {LiveTensors,6}  total tensors {TotalTensors,6}  RSS {ResidentBytes / (1024.0 * 1024.0),8:F1} MiB  threads {Threads,3}  loss {Loss:F4}";
}
