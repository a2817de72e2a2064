using QuietStar.Core.Evaluation;

namespace QuietStar.Core.Tests.Evaluation;

/// <summary>Records progress reports synchronously (unlike <see cref="Progress{T}"/>, which posts them).</summary>
internal sealed class RecordingProgress : IProgress<EvaluationProgress>
{
    public List<EvaluationProgress> Reports { get; } = [];

    public void Report(EvaluationProgress value) => Reports.Add(value);
}
