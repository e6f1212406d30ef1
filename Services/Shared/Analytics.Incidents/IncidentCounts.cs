using System.ComponentModel;
using Analytics.Schemas.Contracts;

namespace Analytics.Incidents;

/// <summary>
/// How many incidents are in each status, for the console's inbox tabs: what listing each status
/// with the same filters would page through, counted without paging.
/// </summary>
[Description("How many incidents are in each status, counted with the same filters as the incident list.")]
public sealed record IncidentCounts(
    [property: Description("Incidents nobody has acknowledged yet.")] long Open,
    [property: Description("Incidents someone is on.")] long Acknowledged,
    [property: Description("Incidents resolved, by an operator or by the platform.")] long Resolved)
{
    [Description("All of them: open, acknowledged and resolved.")]
    public long Total => Open + Acknowledged + Resolved;

    /// <summary>The counts from a count per status; a status with no incidents is zero.</summary>
    public static IncidentCounts Of(IReadOnlyDictionary<IncidentStatus, long> byStatus) => new(
        byStatus.GetValueOrDefault(IncidentStatus.Open),
        byStatus.GetValueOrDefault(IncidentStatus.Acknowledged),
        byStatus.GetValueOrDefault(IncidentStatus.Resolved));
}
