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
            return e is IncidentOpened { Version: 1 } opened
                ? Open(opened)
                : throw new InvalidOperationException($"Incident {e.IncidentId} must start with 'opened' at version 1, not '{e.Type}' at {e.Version}");
        }
        if (e.IncidentId != state.IncidentId || e.OrgId != state.OrgId || e.Version != state.Version + 1)
        {
            throw new InvalidOperationException(
                $"Event {e.IncidentId} v{e.Version} does not follow incident {state.IncidentId} v{state.Version}");
        }

        var next = state with { UpdatedAt = e.At, Version = e.Version };
        return e switch
        {
            IncidentSignalsAttached attached => WithSignals(next, attached),
            IncidentSeverityChanged changed => next with
            {
                Kind = changed.Kind ?? state.Kind,
                Severity = changed.Severity,
                SeverityReason = changed.Reason,
                SilenceId = changed.SilenceId,
            },
            IncidentAcknowledged => next with { Status = IncidentStatus.Acknowledged, AcknowledgedAt = e.At },
            IncidentResolved resolved => next with { Status = IncidentStatus.Resolved, ResolvedAt = e.At, Resolution = resolved.Reason },
            IncidentReopened reopened => next with
            {
                Status = IncidentStatus.Open,
                AcknowledgedAt = null,
                ResolvedAt = null,
                Resolution = null,
                LastActivityAt = e.At,
                SilenceId = reopened.SilenceId,
            },
            IncidentAnnotated annotated => next with { Annotation = annotated.Reason },
            IncidentCommented => next,
            _ => throw new InvalidOperationException($"Incident {e.IncidentId} v{e.Version}: '{e.Type}' cannot follow 'opened'"),
        };
    }

    /// <summary>
    /// The state after one more signal joined <paramref name="e"/>, the signalAttached event that
    /// <paramref name="state"/> ends with: what applying <paramref name="e"/> with the signal already
    /// in its list to the state before it gives, so folding and rebuilding agree.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="e"/> is not the state's newest event.</exception>
    public static IncidentState AttachAnother(IncidentState state, IncidentSignalsAttached e, AttachedSignal signal) =>
        e.IncidentId == state.IncidentId && e.OrgId == state.OrgId && e.Version == state.Version
            ? WithSignal(state, signal, e.At)
            : throw new InvalidOperationException($"Event {e.IncidentId} v{e.Version} is not the newest attachment of incident {state.IncidentId} v{state.Version}");

    /// <summary>The ids of the signals an event brought into its incident, in order: the opening signal, or those attached.</summary>
    public static string[] SignalIdsOf(IncidentEvent e)
    {
        switch (e)
        {
            case IncidentOpened { SignalId: { } id }:
                return [id];
            case IncidentSignalsAttached { Signals: var signals }:
                // One array and no iterator: fusion's append calls this for every event it writes.
                var ids = new string[signals.Count];
                for (var i = 0; i < ids.Length; i++)
                {
                    ids[i] = signals[i].Id;
                }
                return ids;
            default:
                return [];
        }
    }

    private static IncidentState WithSignals(IncidentState state, IncidentSignalsAttached e)
    {
        foreach (var signal in e.Signals)
        {
            state = WithSignal(state, signal, e.At);
        }
        return state;
    }

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

    private static IncidentState Open(IncidentOpened e) => new()
    {
        OrgId = e.OrgId,
        IncidentId = e.IncidentId,
        GroupKey = e.GroupKey,
        Domain = e.Domain,
        Kind = e.Kind,
        Severity = e.Severity,
        SeverityReason = e.Reason,
        Status = IncidentStatus.Open,
        SiteId = e.SiteId,
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
}
