using QuietStar.Core.Algorithm;

namespace QuietStar.Core.Tests.Fixtures;

/// <summary>The reference thought generator, counting its calls: shows which objective a pipeline really used.</summary>
internal sealed class CountingThoughtGenerator : IThoughtGenerator
{
    private readonly ParallelThoughtGenerator inner = new();

    public int Calls { get; private set; }

    public ThoughtRollout Generate(ThoughtRequest request)
    {
        Calls++;
        return inner.Generate(request);
    }
}
