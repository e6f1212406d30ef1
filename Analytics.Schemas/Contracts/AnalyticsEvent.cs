using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// The envelope every event travels in between services and into the event store. The payload
/// stays raw JSON so the envelope can be routed and stored without knowing every payload type.
/// </summary>
[Description("Envelope in which every event travels between services.")]
public sealed record AnalyticsEvent
{
    [Description("Unique event id; not the empty GUID.")]
    public required Guid Id { get; init; }

    [Required, MinLength(1), Description("Payload type: track_update, zone_hit, affect_telemetry, signal or incident.")]
    public required string Type { get; init; }

    [Range(1, int.MaxValue), Description("Schema version of the payload type.")]
    public required int SchemaVersion { get; init; }

    [Required, MinLength(1), MaxLength(ContractLimits.MaxIdLength), Description("Organization the event belongs to.")]
    public required string OrgId { get; init; }

    [Description("When the event happened, UTC.")]
    public required DateTimeOffset OccurredAt { get; init; }

    [Description("When the platform recorded the event, UTC.")]
    public required DateTimeOffset RecordedAt { get; init; }

    [Description("W3C trace context of the operation that produced the event.")]
    public TraceContext? Trace { get; init; }

    [Description("The event itself, a JSON object shaped by type and schemaVersion.")]
    public required JsonElement Payload { get; init; }
}
