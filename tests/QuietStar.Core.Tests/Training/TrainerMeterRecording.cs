using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using QuietStar.Core.Training;

namespace QuietStar.Core.Tests.Training;

/// <summary>
/// Records the measurements the trainer's meter publishes on the creating thread, in order. The meter is process-wide
/// and other test classes train in parallel; the trainer records synchronously on the thread that calls
/// <see cref="QuietStarTrainer.Train"/>, so keeping only this thread's measurements isolates one test's run.
/// </summary>
internal sealed class TrainerMeterRecording : IDisposable
{
    private readonly int thread = Environment.CurrentManagedThreadId;
    private readonly ConcurrentQueue<Measurement> measurements = new();
    private readonly MeterListener listener;

    public TrainerMeterRecording()
    {
        listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == QuietStarTrainer.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.Start();
    }

    /// <summary>The values recorded on <paramref name="instrument"/>, in order, optionally only those with <paramref name="tag"/> = <paramref name="tagValue"/>.</summary>
    public List<double> Values(string instrument, string? tag = null, string? tagValue = null) =>
        measurements.Where(m => m.Instrument == instrument && (tag is null || (m.Tags.TryGetValue(tag, out var v) && Equals(v, tagValue))))
            .Select(m => m.Value).ToList();

    public void Dispose() => listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (Environment.CurrentManagedThreadId != thread)
        {
            return;
        }

        var copied = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copied[tag.Key] = tag.Value;
        }

        measurements.Enqueue(new Measurement(instrument.Name, value, copied));
    }

    private sealed record Measurement(string Instrument, double Value, Dictionary<string, object?> Tags);
}
