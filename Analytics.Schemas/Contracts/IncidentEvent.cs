using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Analytics.Schemas.Contracts.Validation;
using Analytics.Schemas.Serialization;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// The <c>type</c> of an incident event as it is written: the discriminator of
/// <see cref="IncidentEvent"/>, the wire name of <see cref="IncidentEventType"/> and the
/// <c>incident_events.type</c> column, written once here so the three cannot drift.
/// </summary>
public static class IncidentEventNames
{
    public const string Opened = "opened";
    public const string SignalAttached = "signalAttached";
    public const string SeverityChanged = "severityChanged";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";
    public const string Reopened = "reopened";
    public const string Comment = "comment";
    public const string Annotated = "annotated";
}

/// <summary>What happened to an incident; its history is the ordered list of these.</summary>
[JsonConverter(typeof(StrictEnumConverter<IncidentEventType>))]
public enum IncidentEventType
{
    [JsonStringEnumMemberName(IncidentEventNames.Opened)] Opened,
    [JsonStringEnumMemberName(IncidentEventNames.SignalAttached)] SignalAttached,
    [JsonStringEnumMemberName(IncidentEventNames.SeverityChanged)] SeverityChanged,
    [JsonStringEnumMemberName(IncidentEventNames.Acknowledged)] Acknowledged,
    [JsonStringEnumMemberName(IncidentEventNames.Resolved)] Resolved,
    [JsonStringEnumMemberName(IncidentEventNames.Reopened)] Reopened,
    [JsonStringEnumMemberName(IncidentEventNames.Comment)] Comment,
    [JsonStringEnumMemberName(IncidentEventNames.Annotated)] Annotated,
}

/// <summary>
/// One entry of an incident's append-only history. The incident as operators see it is a
/// projection of these, rebuildable from them; the notifier reacts to them. Each kind of entry is
/// a record of its own carrying exactly its fields, told apart on the wire by <c>type</c>.
/// </summary>
/// <remarks>
/// Stored documents (jsonb) come back with their keys reordered, <c>type</c> rarely first: the
/// serializer context reads the discriminator anywhere in the object
/// (<c>AllowOutOfOrderMetadataProperties</c>). Documents written before signals shared events are
/// read through <see cref="IncidentEventJson.Read(string)"/>.
/// </remarks>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(IncidentOpened), IncidentEventNames.Opened)]
[JsonDerivedType(typeof(IncidentSignalsAttached), IncidentEventNames.SignalAttached)]
[JsonDerivedType(typeof(IncidentSeverityChanged), IncidentEventNames.SeverityChanged)]
[JsonDerivedType(typeof(IncidentAcknowledged), IncidentEventNames.Acknowledged)]
[JsonDerivedType(typeof(IncidentResolved), IncidentEventNames.Resolved)]
[JsonDerivedType(typeof(IncidentReopened), IncidentEventNames.Reopened)]
[JsonDerivedType(typeof(IncidentCommented), IncidentEventNames.Comment)]
[JsonDerivedType(typeof(IncidentAnnotated), IncidentEventNames.Annotated)]
[Description("One entry of an incident's append-only history; the kind is given by the type property.")]
public abstract record IncidentEvent
{
    // Only the kinds above exist: one declared elsewhere could not be read back.
    private protected IncidentEvent(IncidentEventType type) => Type = type;

    // The envelope first and the schema version last on the wire, as the single record of
    // before wrote them (only the discriminator moves: the serializer writes it first).
    [JsonPropertyOrder(-1)]
    [Id, Description("Incident the event belongs to.")]
    public required string IncidentId { get; init; }

    [JsonPropertyOrder(-1)]
    [Id, Description("Organization that owns the incident.")]
    public required string OrgId { get; init; }

    [JsonPropertyOrder(-1)]
    [Range(1, int.MaxValue), Description("Position in the incident's history, from 1, without gaps.")]
    public required int Version { get; init; }

    /// <summary>What happened; on the wire it is the <c>type</c> discriminator.</summary>
    [JsonIgnore]
    public IncidentEventType Type { get; }

    [JsonPropertyOrder(-1)]
    [Description("When it happened, UTC (wall clock of the platform).")]
    public required DateTimeOffset At { get; init; }

    [JsonPropertyOrder(-1)]
    [Id, Description("Who did it: fusion, or the API key that called.")]
    public required string Actor { get; init; }

    [JsonPropertyOrder(1)]
    [Range(1, int.MaxValue), Description("Version of the incident event schema.")]
    public required int SchemaVersion { get; init; }
}

/// <summary>The first event of every incident: a signal (or the platform, for a camera gone quiet) opened it.</summary>
[Description("The incident opened: the first event of every incident.")]
public sealed record IncidentOpened() : IncidentEvent(IncidentEventType.Opened)
{
    [MaxLength(ContractLimits.MaxIdLength), Description("Signal that opened the incident; absent when the platform opened it (a camera gone offline).")]
    public string? SignalId { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Kind of the opening signal; with signalId.")]
    public string? SignalKind { get; init; }

    [Description("End of the opening signal's observed stretch (event time), UTC; with signalId.")]
    public DateTimeOffset? SignalAt { get; init; }

    [Description("Domain of the incident.")]
    public required Domain Domain { get; init; }

    [Id, Description("Incident kind.")]
    public required string Kind { get; init; }

    [Description("Severity the incident opened with.")]
    public required Severity Severity { get; init; }

    [Id, Description("Site.")]
    public required string SiteId { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Camera, when the incident is about one camera.")]
    public string? CameraId { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Zone, when the incident is about one zone.")]
    public string? ZoneId { get; init; }

    [Required, MinLength(1), MaxLength(512), Description("What later signals must share to join.")]
    public required string GroupKey { get; init; }

    [MaxLength(2000), Description("Why it has the severity it opened with.")]
    public required string Reason { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Silence that matched when the incident opened; notifications are suppressed.")]
    public string? SilenceId { get; init; }
}

/// <summary>Signals joined an open incident.</summary>
[Description("Signals joined the incident.")]
public sealed record IncidentSignalsAttached() : IncidentEvent(IncidentEventType.SignalAttached)
{
    /// <summary>The most signals one signalAttached event lists; more in one step start another event.</summary>
    public const int MaxSignalsPerEvent = 50;

    [Required, MinLength(1), MaxLength(MaxSignalsPerEvent), Description(
        "Signals that joined, in the order they arrived. Signals fusion folds in one step " +
        "into the same incident share one event, so a burst writes one event per incident rather than one per signal.")]
    public required IReadOnlyList<AttachedSignal> Signals { get; init; }
}

/// <summary>The incident's severity, and perhaps its kind, changed because of a signal.</summary>
[Description("The incident's severity changed (and its kind, when signals fused into a correlation).")]
public sealed record IncidentSeverityChanged() : IncidentEvent(IncidentEventType.SeverityChanged)
{
    [Id, Description("Signal that changed the severity.")]
    public required string SignalId { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("New incident kind, when signals fused into a correlation; absent when the kind stays.")]
    public string? Kind { get; init; }

    [Description("Severity after the event.")]
    public required Severity Severity { get; init; }

    [MaxLength(2000), Description("Why the severity changed.")]
    public required string Reason { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Silence that matched the incident as it became; notifications are suppressed.")]
    public string? SilenceId { get; init; }
}

/// <summary>An operator acknowledged the incident: someone is on it.</summary>
[Description("An operator acknowledged the incident.")]
public sealed record IncidentAcknowledged() : IncidentEvent(IncidentEventType.Acknowledged)
{
    [MaxLength(4000), Description("The operator's comment, if they gave one.")]
    public string? Comment { get; init; }
}

/// <summary>The incident was resolved, by an operator or by the platform.</summary>
[Description("The incident was resolved.")]
public sealed record IncidentResolved() : IncidentEvent(IncidentEventType.Resolved)
{
    [MaxLength(2000), Description("Why: resolved by an operator, no new signal for a while, a camera back online.")]
    public required string Reason { get; init; }

    [MaxLength(4000), Description("The operator's comment, if they gave one.")]
    public string? Comment { get; init; }
}

/// <summary>A signal came shortly after the incident was resolved, so it opened again.</summary>
[Description("A signal reopened the incident shortly after it was resolved.")]
public sealed record IncidentReopened() : IncidentEvent(IncidentEventType.Reopened)
{
    [Id, Description("Signal that reopened the incident; a signalAttached event follows with it.")]
    public required string SignalId { get; init; }

    [MaxLength(2000), Description("Why it reopened.")]
    public required string Reason { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Silence that matched when it reopened; notifications are suppressed.")]
    public string? SilenceId { get; init; }
}

/// <summary>An operator commented; the incident itself does not change.</summary>
[Description("An operator commented on the incident.")]
public sealed record IncidentCommented() : IncidentEvent(IncidentEventType.Comment)
{
    [Required, MinLength(1), MaxLength(4000), Description("The operator's comment.")]
    public required string Comment { get; init; }
}

/// <summary>The platform added a note to the incident, e.g. that its camera went offline.</summary>
[Description("The platform added a note to the incident.")]
public sealed record IncidentAnnotated() : IncidentEvent(IncidentEventType.Annotated)
{
    [MaxLength(2000), Description("The note.")]
    public required string Reason { get; init; }
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
