using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Settings;

namespace Analytics.Ingest;

/// <summary>The ingest service, which accepts observation batches from edge trackers.</summary>
public sealed class IngestSettings : IValidatableObject
{
    public const string SectionName = "Ingest";

    /// <summary>Largest request body ingest reads; a larger one is refused with 413.</summary>
    [Range(1024, 67108864)]
    public int MaxBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most observations in one request; a larger batch is refused with 413.</summary>
    [Range(1, 100000)]
    public int MaxItemsPerBatch { get; set; } = 5000;

    /// <summary>Observations buffered for the database writer; when full, ingest pushes back on producers.</summary>
    [Range(1, 1000000)]
    public int WriteQueueCapacity { get; set; } = 200000;

    /// <summary>How long ingest remembers whether an organization has opted into education; turning it off refuses affect telemetry within this time.</summary>
    [Range(0, 300)]
    public int EducationOptInCacheSeconds { get; set; } = 10;

    /// <summary>How far ahead of the server clock an observation may be stamped.</summary>
    [Range(0, 3600)]
    public int MaxClockSkewSeconds { get; set; } = 300;

    /// <summary>Most observations the writer puts in one database round trip.</summary>
    [Range(1, 1000000)]
    public int WriteBatchMaxItems { get; set; } = 20000;

    /// <summary>Rounds the writer commits at once, each on its own connection: while one commits, the next is written.</summary>
    [Range(1, 16)]
    public int WriteConcurrency { get; set; } = 2;

    /// <summary>How long the writer waits for a batch to fill; trades latency for fewer round trips.</summary>
    [Range(0, 1000)]
    public int WriteBatchMaxDelayMilliseconds { get; set; } = 5;

    /// <summary>Days raw observations are kept; older daily partitions of the log are dropped.</summary>
    [Range(1, 90)]
    public int ObservationRetentionDays { get; set; } = 7;

    /// <summary>Hours raw affect telemetry is kept (it describes people, so far shorter than other observations).</summary>
    [Range(1, 168)]
    public int AffectTelemetryRetentionHours { get; set; } = 24;

    /// <summary>Hours an Idempotency-Key and its answer are kept: a batch sent again with the same key within them is answered as the first time and not stored again.</summary>
    [Range(1, 168)]
    public int IdempotencyKeyRetentionHours { get; set; } = 24;

    // A request batch or write batch larger than the queue could never be accepted or filled.
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        CrossFieldRules.Problems(
            CrossFieldRules.AtMost(validationContext, nameof(MaxItemsPerBatch), MaxItemsPerBatch, nameof(WriteQueueCapacity), WriteQueueCapacity),
            CrossFieldRules.AtMost(validationContext, nameof(WriteBatchMaxItems), WriteBatchMaxItems, nameof(WriteQueueCapacity), WriteQueueCapacity));
}
