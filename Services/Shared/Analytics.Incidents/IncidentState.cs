using Analytics.Schemas.Contracts;

namespace Analytics.Incidents;

/// <summary>
/// An incident as its events leave it: one row of the <c>incidents</c> projection. Built only by
/// <see cref="IncidentProjection.Apply"/>, so the live table and a rebuild from the events agree.
/// </summary>
public sealed record IncidentState
{
    public required string OrgId { get; init; }
    public required string IncidentId { get; init; }

    /// <summary>What later signals must share to join this incident.</summary>
    public required string GroupKey { get; init; }

    public required Domain Domain { get; init; }
    public required string Kind { get; init; }
    public required Severity Severity { get; init; }
    public string? SeverityReason { get; init; }
    public required IncidentStatus Status { get; init; }
    public required string SiteId { get; init; }

    /// <summary>The camera, while every signal came from it.</summary>
    public string? CameraId { get; init; }

    /// <summary>The zone, while every signal came from it.</summary>
    public string? ZoneId { get; init; }

    public required int SignalCount { get; init; }

    /// <summary>The distinct kinds of the signals, in the order they first joined.</summary>
    public required IReadOnlyList<string> SignalKinds { get; init; }

    public required DateTimeOffset OpenedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Event time of the newest signal: the group window is measured from it.</summary>
    public required DateTimeOffset LastSignalAt { get; init; }

    /// <summary>Wall time a signal last joined: the quiet period before auto-resolution is measured from it.</summary>
    public required DateTimeOffset LastActivityAt { get; init; }

    public DateTimeOffset? AcknowledgedAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>Why it was resolved.</summary>
    public string? Resolution { get; init; }

    /// <summary>The silence that muted its latest notifiable change, if any.</summary>
    public string? SilenceId { get; init; }

    /// <summary>A note added by the platform, e.g. that its camera went offline.</summary>
    public string? Annotation { get; init; }

    /// <summary>Version of the last event applied.</summary>
    public required int Version { get; init; }

    /// <summary>
    /// An operator acknowledges: someone is on it, so repeat notifications stop. An open incident
    /// is acknowledged; an acknowledged one stays as it is; a resolved one cannot be.
    /// </summary>
    public IncidentTransition Acknowledge(string actor, DateTimeOffset at, string? comment) => Status switch
    {
        IncidentStatus.Open => Next(new IncidentAcknowledged
        {
            IncidentId = IncidentId,
            OrgId = OrgId,
            Version = Version + 1,
            At = at,
            Actor = actor,
            Comment = NoteOrNull(comment),
            SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
        }),
        IncidentStatus.Acknowledged => new IncidentTransition.Unchanged(),
        _ => new IncidentTransition.Refused("A resolved incident cannot be acknowledged; it reopens by itself when matching signals return."),
    };

    /// <summary>An operator resolves the incident; resolving a resolved one changes nothing.</summary>
    public IncidentTransition Resolve(string actor, DateTimeOffset at, string? comment) =>
        Status == IncidentStatus.Resolved
            ? new IncidentTransition.Unchanged()
            : Next(new IncidentResolved
            {
                IncidentId = IncidentId,
                OrgId = OrgId,
                Version = Version + 1,
                At = at,
                Actor = actor,
                Reason = ResolvedByOperator,
                Comment = NoteOrNull(comment),
                SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
            });

    /// <summary>An operator adds a comment to the history, whatever the incident's state; a comment without text is refused.</summary>
    public IncidentTransition Comment(string actor, DateTimeOffset at, string comment) =>
        NoteOrNull(comment) is { } text
            ? Next(new IncidentCommented
            {
                IncidentId = IncidentId,
                OrgId = OrgId,
                Version = Version + 1,
                At = at,
                Actor = actor,
                Comment = text,
                SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
            })
            : new IncidentTransition.Refused("A comment needs text.");

    /// <summary>Why an incident an operator resolved is resolved.</summary>
    public const string ResolvedByOperator = "resolved by an operator";

    private IncidentTransition.Append Next(IncidentEvent e) => new(e, IncidentProjection.Apply(this, e));

    private static string? NoteOrNull(string? comment) => string.IsNullOrWhiteSpace(comment) ? null : comment;

    /// <summary>The incident as the API shows it, with its evidence chain.</summary>
    public Incident ToContract(IReadOnlyList<string> signalIds) => new()
    {
        Id = IncidentId,
        OrgId = OrgId,
        Domain = Domain,
        Kind = Kind,
        Severity = Severity,
        SeverityReason = SeverityReason,
        Status = Status,
        SiteId = SiteId,
        CameraId = CameraId,
        ZoneId = ZoneId,
        SignalIds = signalIds,
        OpenedAt = OpenedAt,
        UpdatedAt = UpdatedAt,
        AcknowledgedAt = AcknowledgedAt,
        ResolvedAt = ResolvedAt,
        Silenced = SilenceId is not null,
        SchemaVersion = EventTypes.CurrentVersion.Incident,
    };
}
