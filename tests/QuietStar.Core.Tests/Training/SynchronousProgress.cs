namespace QuietStar.Core.Tests.Training;

/// <summary>Calls back on the reporting thread (unlike <see cref="Progress{T}"/>, which posts to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> onReport) : IProgress<T>
{
    public void Report(T value) => onReport(value);
}
