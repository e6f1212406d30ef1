using Analytics.Schemas.Contracts;

namespace Analytics.Incidents;

/// <summary>
/// What an operator's action does to an incident as it is: append <see cref="Append.Event"/>
/// (leaving <see cref="Append.After"/>), nothing because it is done already, or nothing because
/// the incident is not in a state for it.
/// </summary>
public abstract record IncidentTransition
{
    private IncidentTransition()
    {
    }

    /// <summary>The action applies: append <paramref name="Event"/>; the incident is then <paramref name="After"/>.</summary>
    public sealed record Append(IncidentEvent Event, IncidentState After) : IncidentTransition;

    /// <summary>Repeating an action already done: answered with the incident as it is, nothing appended.</summary>
    public sealed record Unchanged : IncidentTransition;

    /// <summary>The action does not apply to the incident as it is; <paramref name="Reason"/> says why.</summary>
    public sealed record Refused(string Reason) : IncidentTransition;
}
