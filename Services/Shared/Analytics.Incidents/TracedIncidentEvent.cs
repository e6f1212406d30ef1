using Analytics.Schemas.Contracts;

namespace Analytics.Incidents;

/// <summary>An incident event with the trace of what caused it, so the notifier's span can link to it.</summary>
public sealed record TracedIncidentEvent(IncidentEvent Event, string? TraceParent = null, string? TraceState = null);
