using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>What happened to an incident; its history is the ordered list of these.</summary>
[JsonConverter(typeof(StrictEnumConverter<IncidentEventType>))]
public enum IncidentEventType
{
    [JsonStringEnumMemberName("opened")] Opened,
    [JsonStringEnumMemberName("signalAttached")] SignalAttached,
    [JsonStringEnumMemberName("severityChanged")] SeverityChanged,
    [JsonStringEnumMemberName("acknowledged")] Acknowledged,
    [JsonStringEnumMemberName("resolved")] Resolved,
    [JsonStringEnumMemberName("reopened")] Reopened,
    [JsonStringEnumMemberName("comment")] Comment,
    [JsonStringEnumMemberName("annotated")] Annotated,
}

/// <summary>
/// One entry of an incident's append-only history. The incident as operators see it is a
/// projection of these, rebuildable from them; the notifier reacts to them.
/// </summary>
[Description("One entry of an incident's append-only history.")]
public sealed record IncidentEvent
{
    /// <summary>The most signals one signalAttached event lists; more in one step start another event.</summary>
    public const int MaxSignalsPerEvent = 50;

    [Id, Description("Incident the event belongs to.")]
    public required string IncidentId { get; init; }

    [Id, Description("Organization that owns the incident.")]
    public required string OrgId { get; init; }

    [Range(1, int.MaxValue), Description("Position in the incident's history, from 1, without gaps.")]
    public required int Version { get; init; }

    [Description("What happened.")]
    public required IncidentEventType Type { get; init; }

    [Description("When it happened, UTC (wall clock of the platform).")]
    public required DateTimeOffset At { get; init; }

    [Id, Description("Who did it: fusion, or the API key that called.")]
    public required string Actor { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Signal that opened, reopened or escalated the incident.")]
    public string? SignalId { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Kind of the opening signal; on opened.")]
    public string? SignalKind { get; init; }

    [Description("End of the opening signal's observed stretch (event time), UTC; on opened.")]
    public DateTimeOffset? SignalAt { get; init; }

    [MinLength(1), MaxLength(MaxSignalsPerEvent), Description(
        "Signals that joined, in the order they arrived; on signalAttached. Signals fusion folds in one step " +
        "into the same incident share one event, so a burst writes one event per incident rather than one per signal.")]
    public IReadOnlyList<AttachedSignal>? Signals { get; init; }

    [Description("Domain of the incident; on opened.")]
    public Domain? Domain { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Incident kind; on opened, and on severityChanged when signals fused into a new kind.")]
    public string? Kind { get; init; }

    [Description("Severity after the event; on opened and severityChanged.")]
    public Severity? Severity { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Site; on opened.")]
    public string? SiteId { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Camera; on opened, when the incident is about one camera.")]
    public string? CameraId { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Zone; on opened, when the incident is about one zone.")]
    public string? ZoneId { get; init; }

    [MaxLength(512), Description("What later signals must share to join; on opened.")]
    public string? GroupKey { get; init; }

    [MaxLength(2000), Description("Why: the severity's reason, the resolution's cause, an annotation.")]
    public string? Reason { get; init; }

    [MaxLength(4000), Description("An operator's comment.")]
    public string? Comment { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Silence that matched when the event would have notified; notifications are suppressed.")]
    public string? SilenceId { get; init; }

    [Range(1, int.MaxValue), Description("Version of the incident event schema.")]
    public required int SchemaVersion { get; init; }
}

/// <summary>A signal as an incident's history records it: what the projection needs, and the id to find the rest.</summary>
[Description("A signal attached to an incident.")]
public sealed record AttachedSignal
{
    [Id, Description("Signal id; the signal itself is in the incident's evidence.")]
    public required string Id { get; init; }

    [Id, Description("Kind of the signal.")]
    public required string Kind { get; init; }

    [Description("End of the signal's observed stretch (event time), UTC.")]
    public required DateTimeOffset At { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Camera that saw it.")]
    public string? CameraId { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Zone it happened in, when it is about a zone.")]
    public string? ZoneId { get; init; }
}
