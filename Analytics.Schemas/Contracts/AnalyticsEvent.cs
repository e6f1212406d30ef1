using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// The envelope every event travels in between services and into the event store. The payload
/// stays raw JSON so the envelope can be routed and stored without knowing every payload type.
/// </summary>
[Description("Envelope in which every event travels between services.")]
[ContractRule<AnalyticsEventRule>]
public sealed record AnalyticsEvent
{
    [Description("Unique event id; not the empty GUID.")]
    public required Guid Id { get; init; }

    [AllowedValues(EventTypes.TrackUpdate, EventTypes.ZoneHit, EventTypes.AffectTelemetry, EventTypes.CameraHeartbeat, EventTypes.Signal, EventTypes.Incident)]
    [Description("Payload type: track_update, zone_hit, affect_telemetry, camera_heartbeat, signal or incident.")]
    public required string Type { get; init; }

    [Range(1, int.MaxValue), Description("Schema version of the payload type.")]
    public required int SchemaVersion { get; init; }

    [Id, Description("Organization the event belongs to.")]
    public required string OrgId { get; init; }

    [NotInFuture, Description("When the event happened, UTC.")]
    public required DateTimeOffset OccurredAt { get; init; }

    [NotInFuture, Description("When the platform recorded the event, UTC.")]
    public required DateTimeOffset RecordedAt { get; init; }

    [Description("W3C trace context of the operation that produced the event.")]
    public TraceContext? Trace { get; init; }

    [Description("The event itself, a JSON object shaped by type and schemaVersion.")]
    public required JsonElement Payload { get; init; }
}

/// <summary>
/// The version is one the envelope's type supports, and the payload is checked as the contract its
/// type names (fields and rule), so one call covers the envelope and what it carries.
/// </summary>
internal sealed class AnalyticsEventRule : IContractRule<AnalyticsEvent>
{
    public void Check(AnalyticsEvent analyticsEvent, ContractContext context)
    {
        if (!EventTypes.IsKnown(analyticsEvent.Type))
        {
            return;
        }
        if (!EventTypes.IsSupported(analyticsEvent.Type, analyticsEvent.SchemaVersion))
        {
            context.Report("schemaVersion", ContractContext.Invariant(
                $"must be a supported {analyticsEvent.Type} version ({string.Join(", ", EventTypes.SupportedVersions(analyticsEvent.Type))}), was {analyticsEvent.SchemaVersion}"));
        }

        var payload = analyticsEvent.Payload;
        if (payload.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        if (payload.TryGetProperty("type", out var discriminator)
            && (discriminator.ValueKind != JsonValueKind.String || discriminator.GetString() != analyticsEvent.Type))
        {
            context.ReportInside("payload", "$.type", ContractContext.Invariant($"must match the envelope type '{analyticsEvent.Type}', was {discriminator.GetRawText()}"));
            return;
        }

        object? contract;
        try
        {
            var json = AnalyticsJsonContext.Default;
            contract = analyticsEvent.Type switch
            {
                EventTypes.TrackUpdate => payload.Deserialize(json.TrackUpdate),
                EventTypes.ZoneHit => payload.Deserialize(json.ZoneHit),
                EventTypes.AffectTelemetry => payload.Deserialize(json.AffectTelemetry),
                EventTypes.CameraHeartbeat => payload.Deserialize(json.CameraHeartbeat),
                EventTypes.Signal => payload.Deserialize(json.Signal),
                EventTypes.Incident => payload.Deserialize(json.Incident),
                _ => null,
            };
        }
        catch (JsonException exception)
        {
            context.ReportInside("payload", exception.Path ?? "$", ContractContext.Invariant($"is not a valid {analyticsEvent.Type}: {exception.Message}"));
            return;
        }
        if (contract is null)
        {
            return;
        }

        context.CheckInside("payload", contract);
        var payloadVersion = contract switch
        {
            Observation observation => observation.SchemaVersion,
            Signal signal => signal.SchemaVersion,
            Incident incident => incident.SchemaVersion,
            _ => analyticsEvent.SchemaVersion,
        };
        if (payloadVersion != analyticsEvent.SchemaVersion)
        {
            context.ReportInside("payload", "$.schemaVersion", ContractContext.Invariant($"must equal the envelope's schemaVersion {analyticsEvent.SchemaVersion}, was {payloadVersion}"));
        }
    }
}
