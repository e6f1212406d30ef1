using Analytics.Incidents;
using Analytics.Schemas.Contracts;

namespace Analytics.Fusion.Incidents;

/// <summary>
/// The incident events one fold step produces, in order. Signals that join the same incident at
/// the same moment, with nothing else happening to it in between, share one signalAttached event:
/// a burst of signals then writes one event per incident instead of one per signal.
/// </summary>
public sealed class IncidentEventBatch
{
    private readonly List<TracedIncidentEvent> _events = [];
    private readonly Dictionary<(string OrgId, string IncidentId), int> _newestIndex = [];

    /// <summary>The events with the trace of the signal that made each; signals joining one later add none.</summary>
    public IReadOnlyList<TracedIncidentEvent> Events => _events;

    /// <summary>The trace of the signal being folded, given to the events it makes.</summary>
    public (string? Parent, string? State) Cause { get; set; }

    public void Add(IncidentEvent e)
    {
        _newestIndex[(e.OrgId, e.IncidentId)] = _events.Count;
        _events.Add(new TracedIncidentEvent(e, Cause.Parent, Cause.State));
    }

    /// <summary>
    /// Adds <paramref name="signal"/> to the signalAttached event of this batch that
    /// <paramref name="incident"/> ends with, when it was made at <paramref name="at"/> and has room.
    /// </summary>
    /// <returns>The incident with the signal attached, or null when it needs an event of its own.</returns>
    public IncidentState? TryJoinNewestAttachment(IncidentState incident, AttachedSignal signal, DateTimeOffset at)
    {
        if (!_newestIndex.TryGetValue((incident.OrgId, incident.IncidentId), out var index)
            || _events[index].Event is not IncidentSignalsAttached { Signals: { Count: < IncidentSignalsAttached.MaxSignalsPerEvent } signals } newest
            || newest.Version != incident.Version
            || newest.At != at)
        {
            return null;
        }
        var joined = newest with { Signals = [.. signals, signal] };
        _events[index] = _events[index] with { Event = joined };
        return IncidentProjection.AttachAnother(incident, joined, signal);
    }
}
