using Analytics.Schemas.Contracts;

namespace Analytics.Incidents;

/// <summary>Which silence mutes an incident: decided without I/O, from the silences in force.</summary>
public static class Silences
{
    /// <summary>The first silence that mutes <paramref name="incident"/> at <paramref name="now"/>, if any.</summary>
    public static string? Matching(IEnumerable<Silence> silences, IncidentState incident, DateTimeOffset now) =>
        silences.FirstOrDefault(s => s.OrgId == incident.OrgId && s.Matches(incident.SiteId, incident.CameraId, incident.ZoneId, incident.Kind, now))?.SilenceId;
}
