using System.Diagnostics.Metrics;

namespace Analytics.Simulator;

/// <summary>Progress counters, on the platform meter and readable for the progress log.</summary>
public sealed class SimulatorMetrics
{
    private readonly Counter<long> _observations;
    private readonly Counter<long> _batches;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _retried;
    private long _observationsSent;
    private long _batchesSent;
    private long _batchesRefused;
    private long _batchesRetried;
    private long _observationsRefused;

    public SimulatorMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(Telemetry.MeterName);
        _observations = meter.CreateCounter<long>("analytics.simulator.observations_sent", "{observation}", "Observations ingest committed.");
        _batches = meter.CreateCounter<long>("analytics.simulator.batches_sent", "{batch}", "Batches ingest committed.");
        _refused = meter.CreateCounter<long>("analytics.simulator.batches_refused", "{batch}", "Batches ingest refused (4xx other than 429); their observations are lost and logged.");
        _retried = meter.CreateCounter<long>("analytics.simulator.batches_retried", "{retry}", "Attempts repeated after 429 (a rate limit), 503 or another 5xx, or a network error.");
    }

    public long ObservationsSent => Interlocked.Read(ref _observationsSent);

    public long BatchesSent => Interlocked.Read(ref _batchesSent);

    public long BatchesRefused => Interlocked.Read(ref _batchesRefused);

    public long ObservationsRefused => Interlocked.Read(ref _observationsRefused);

    public long BatchesRetried => Interlocked.Read(ref _batchesRetried);

    public void Sent(int observations)
    {
        Interlocked.Add(ref _observationsSent, observations);
        Interlocked.Increment(ref _batchesSent);
        _observations.Add(observations);
        _batches.Add(1);
    }

    public void Refused(int observations)
    {
        Interlocked.Increment(ref _batchesRefused);
        Interlocked.Add(ref _observationsRefused, observations);
        _refused.Add(1);
    }

    public void Retried()
    {
        Interlocked.Increment(ref _batchesRetried);
        _retried.Add(1);
    }
}
