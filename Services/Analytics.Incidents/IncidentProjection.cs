using Analytics.Schemas.Contracts;

namespace Analytics.Incidents;

/// <summary>
/// Folds an incident's events into its state. The single definition of what each event means:
/// fusion and the API use it to write the projection, and a rebuild uses it to recompute it.
/// </summary>
public static class IncidentProjection
{
    /// <summary>The state after <paramref name="e"/>; <paramref name="state"/> is null before the first event.</summary>
    /// <exception cref="InvalidOperationException">The event does not follow the state: wrong incident, version or order.</exception>
    public static IncidentState Apply(IncidentState? state, IncidentEvent e)
    {
        if (state is null)
        {
            return e.Type == IncidentEventType.Opened && e.Version == 1
                ? Open(e)
                : throw new InvalidOperationException($"Incident {e.IncidentId} must start with 'opened' at version 1, not '{e.Type}' at {e.Version}");
        }
        if (e.IncidentId != state.IncidentId || e.OrgId != state.OrgId || e.Version != state.Version + 1)
        {
            throw new InvalidOperationException(
                $"Event {e.IncidentId} v{e.Version} does not follow incident {state.IncidentId} v{state.Version}");
        }

        var next = state with { UpdatedAt = e.At, Version = e.Version };
        return e.Type switch
        {
            IncidentEventType.SignalAttached => AttachedSignals(e).Aggregate(next, (current, signal) => WithSignal(current, signal, e.At)),
            IncidentEventType.SeverityChanged => next with
            {
                Kind = e.Kind ?? state.Kind,
                Severity = e.Severity ?? state.Severity,
                SeverityReason = e.Reason,
                SilenceId = e.SilenceId,
            },
            IncidentEventType.Acknowledged => next with { Status = IncidentStatus.Acknowledged, AcknowledgedAt = e.At },
            IncidentEventType.Resolved => next with { Status = IncidentStatus.Resolved, ResolvedAt = e.At, Resolution = e.Reason },
            IncidentEventType.Reopened => next with
            {
                Status = IncidentStatus.Open,
                AcknowledgedAt = null,
                ResolvedAt = null,
                Resolution = null,
                LastActivityAt = e.At,
                SilenceId = e.SilenceId,
            },
            IncidentEventType.Annotated => next with { Annotation = e.Reason },
            IncidentEventType.Comment => next,
            _ => throw new InvalidOperationException($"Incident {e.IncidentId} v{e.Version}: '{e.Type}' cannot follow 'opened'"),
        };
    }

    /// <summary>
    /// The state after one more signal joined <paramref name="e"/>, the signalAttached event that
    /// <paramref name="state"/> ends with: what applying <paramref name="e"/> with the signal already
    /// in its list to the state before it gives, so folding and rebuilding agree.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="e"/> is not the state's newest event, or not a signalAttached.</exception>
    public static IncidentState AttachAnother(IncidentState state, IncidentEvent e, AttachedSignal signal) =>
        e.Type == IncidentEventType.SignalAttached && e.IncidentId == state.IncidentId && e.OrgId == state.OrgId && e.Version == state.Version
            ? WithSignal(state, signal, e.At)
            : throw new InvalidOperationException($"Event {e.IncidentId} v{e.Version} '{e.Type}' is not the newest attachment of incident {state.IncidentId} v{state.Version}");

    /// <summary>The ids of the signals an event brought into its incident, in order: the opening signal, or those attached.</summary>
    public static IEnumerable<string> SignalIdsOf(IncidentEvent e) => e.Type switch
    {
        IncidentEventType.Opened when e.SignalId is { } id => [id],
        IncidentEventType.SignalAttached => AttachedSignals(e).Select(signal => signal.Id),
        _ => [],
    };

    /// <summary>The attached signals; an event written before signals shared events names its one signal in the opening fields.</summary>
    private static IReadOnlyList<AttachedSignal> AttachedSignals(IncidentEvent e) =>
        e.Signals ?? (e is { SignalId: { } id, SignalKind: { } kind }
            ? [new AttachedSignal { Id = id, Kind = kind, At = e.SignalAt ?? e.At, CameraId = e.CameraId, ZoneId = e.ZoneId }]
            : []);

    private static IncidentState WithSignal(IncidentState state, AttachedSignal signal, DateTimeOffset at) => state with
    {
        SignalCount = state.SignalCount + 1,
        SignalKinds = state.SignalKinds.Contains(signal.Kind) ? state.SignalKinds : [.. state.SignalKinds, signal.Kind],
        // An incident seen by several cameras or in several zones is about neither one.
        CameraId = state.CameraId == signal.CameraId ? state.CameraId : null,
        ZoneId = state.ZoneId == signal.ZoneId ? state.ZoneId : null,
        LastSignalAt = signal.At > state.LastSignalAt ? signal.At : state.LastSignalAt,
        UpdatedAt = at,
        LastActivityAt = at,
    };

    private static IncidentState Open(IncidentEvent e) => new()
    {
        OrgId = e.OrgId,
        IncidentId = e.IncidentId,
        GroupKey = e.GroupKey ?? throw Missing(e, "groupKey"),
        Domain = e.Domain ?? throw Missing(e, "domain"),
        Kind = e.Kind ?? throw Missing(e, "kind"),
        Severity = e.Severity ?? throw Missing(e, "severity"),
        SeverityReason = e.Reason,
        Status = IncidentStatus.Open,
        SiteId = e.SiteId ?? throw Missing(e, "siteId"),
        CameraId = e.CameraId,
        ZoneId = e.ZoneId,
        SignalCount = e.SignalId is null ? 0 : 1,
        SignalKinds = e.SignalKind is null ? [] : [e.SignalKind],
        OpenedAt = e.At,
        UpdatedAt = e.At,
        LastSignalAt = e.SignalAt ?? e.At,
        LastActivityAt = e.At,
        SilenceId = e.SilenceId,
        Version = 1,
    };

    private static InvalidOperationException Missing(IncidentEvent e, string field) =>
        new($"Incident {e.IncidentId}: 'opened' lacks {field}");
}
