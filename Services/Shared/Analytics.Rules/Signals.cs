using Analytics.Schemas.Contracts;

namespace Analytics.Rules;

/// <summary>Builds signals the same way for every rule. Signals are rare, so this may allocate.</summary>
public static class Signals
{
    /// <summary>A signal whose id is derived from <paramref name="rule"/>'s kind, the camera, <paramref name="subject"/> and the start.</summary>
    /// <param name="context">Organization and camera.</param>
    /// <param name="siteId">Site of the camera, from its observations.</param>
    /// <param name="rule">The rule that found it: its name is the signal kind, its domain the signal's.</param>
    /// <param name="severity">Urgency.</param>
    /// <param name="confidence">Clamped to [0, 1].</param>
    /// <param name="subject">Track id or zone id the behaviour belongs to; part of the id.</param>
    /// <param name="zoneId">Zone where it happened, if any.</param>
    /// <param name="trackIds">Tracks involved.</param>
    /// <param name="startedTicks">Start of the behaviour, UTC ticks; part of the id.</param>
    /// <param name="endedTicks">End of the observed stretch, UTC ticks.</param>
    /// <param name="measurements">Measured values; rounded to 3 decimals so they read well.</param>
    /// <param name="summary">Short human-readable explanation.</param>
    public static Signal Create(
        RuleContext context,
        string siteId,
        RuleDescriptor rule,
        Severity severity,
        double confidence,
        string subject,
        string? zoneId,
        IReadOnlyList<string> trackIds,
        long startedTicks,
        long endedTicks,
        IReadOnlyDictionary<string, double> measurements,
        string summary)
    {
        var (kind, domain) = (rule.Name, rule.Domain);
        var startedAt = new DateTimeOffset(startedTicks, TimeSpan.Zero);
        var rounded = new Dictionary<string, double>(measurements.Count, StringComparer.Ordinal);
        foreach (var (name, value) in measurements)
        {
            rounded[name] = Math.Round(value, 3, MidpointRounding.AwayFromZero);
        }

        return new Signal
        {
            Id = SignalId.For(context.OrgId, kind, context.CameraId, subject, startedAt),
            OrgId = context.OrgId,
            Domain = domain,
            Kind = kind,
            Severity = severity,
            Confidence = Math.Round(Math.Clamp(confidence, 0, 1), 3, MidpointRounding.AwayFromZero),
            SiteId = siteId,
            CameraId = context.CameraId,
            ZoneId = zoneId,
            TrackIds = trackIds,
            StartedAt = startedAt,
            EndedAt = new DateTimeOffset(Math.Max(startedTicks, endedTicks), TimeSpan.Zero),
            Evidence = new Evidence { Measurements = rounded, Summary = summary },
            SchemaVersion = EventTypes.CurrentVersion.Signal,
        };
    }

    public static double Seconds(long ticks) => (double)ticks / TimeSpan.TicksPerSecond;
}
