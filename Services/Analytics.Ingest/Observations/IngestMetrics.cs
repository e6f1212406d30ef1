using System.Diagnostics.Metrics;

namespace Analytics.Ingest.Observations;

/// <summary>What ingest takes in and commits, on the platform's meter (Prometheus: <c>analytics_ingest_*</c>).</summary>
internal static class IngestMetrics
{
    private static readonly Meter Meter = new(Telemetry.MeterName);

    private static readonly Counter<long> CommittedObservations = Meter.CreateCounter<long>(
        "analytics.ingest.observations.committed", "{observation}", "Observations durably committed to the log");

    private static readonly Histogram<int> CommitSize = Meter.CreateHistogram<int>(
        "analytics.ingest.commit.size", "{observation}", "Observations per database commit");

    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>(
        "analytics.ingest.commit.duration", "s", "Time to COPY and commit one round");

    public static readonly Counter<long> RejectedBatches = Meter.CreateCounter<long>(
        "analytics.ingest.batches.rejected", "{batch}", "Batches refused as a whole, by reason");

    public static readonly Counter<long> IdleCloses = Meter.CreateCounter<long>(
        "analytics.ingest.cameras.idle_closed", "{camera}", "Cameras closed by the idle fallback: silent for Rules:IdleTimeoutSeconds, heartbeats included");

    public static readonly Counter<long> Replayed = Meter.CreateCounter<long>(
        "analytics.ingest.batches.replayed", "{batch}", "Batches sent again with the Idempotency-Key of a committed batch: answered as the first time, not stored again");

    public static readonly Counter<long> QueueFull = Meter.CreateCounter<long>(
        "analytics.ingest.queue.full", "{batch}", "Batches answered 503 because the write queue was full");

    public static void Committed(int observations, TimeSpan duration)
    {
        CommittedObservations.Add(observations);
        CommitSize.Record(observations);
        CommitDuration.Record(duration.TotalSeconds);
    }
}
