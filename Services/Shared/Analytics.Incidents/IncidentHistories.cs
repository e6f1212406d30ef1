using Analytics.Schemas.Contracts;

namespace Analytics.Incidents;

/// <summary>One incident event with the incident just before (null for the opening) and just after it.</summary>
public sealed record IncidentChange(IncidentEvent Event, IncidentState? Before, IncidentState After);

/// <summary>Incidents each folded through its history, so every change is seen with the state before and after it.</summary>
public sealed class IncidentHistories
{
    private readonly Dictionary<(string OrgId, string IncidentId), List<(IncidentState State, IReadOnlyList<string> SignalIds)>> _versions = [];

    /// <summary>Adds the next event of its incident; events come in version order.</summary>
    public void Add(IncidentEvent e)
    {
        if (!_versions.TryGetValue((e.OrgId, e.IncidentId), out var versions))
        {
            _versions[(e.OrgId, e.IncidentId)] = versions = [];
        }
        var (previousState, signals) = versions.Count == 0 ? (null, []) : versions[^1];
        var state = IncidentProjection.Apply(previousState, e);
        if (IncidentProjection.SignalIdsOf(e) is { Length: > 0 } joined)
        {
            signals = [.. signals, .. joined];
        }
        versions.Add((state, signals));
    }

    /// <exception cref="InvalidOperationException">The history does not reach the event.</exception>
    public IncidentChange ChangeAt(IncidentEvent e)
    {
        var versions = Versions(e);
        return new IncidentChange(e, e.Version == 1 ? null : versions[e.Version - 2].State, versions[e.Version - 1].State);
    }

    public IReadOnlyList<string> SignalIdsAt(IncidentEvent e) => Versions(e)[e.Version - 1].SignalIds;

    private List<(IncidentState State, IReadOnlyList<string> SignalIds)> Versions(IncidentEvent e) =>
        _versions.TryGetValue((e.OrgId, e.IncidentId), out var versions) && versions.Count >= e.Version
            ? versions
            : throw new InvalidOperationException($"The history of incident {e.IncidentId} does not reach version {e.Version}");
}
