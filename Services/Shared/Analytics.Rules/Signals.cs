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
    /// <param name="boxes">
    /// The boxes of the tracks involved, most important track first (see <see cref="Boxes"/>);
    /// null when the signal has none, e.g. affect telemetry.
    /// </param>
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
        string summary,
        IReadOnlyList<TrackEvidence>? boxes = null)
    {
        var (kind, domain) = (rule.Name, rule.Domain);
        var startedAt = new DateTimeOffset(startedTicks, TimeSpan.Zero);
        var rounded = new Dictionary<string, double>(measurements.Count, StringComparer.Ordinal);
        foreach (var (name, value) in measurements)
        {
            rounded[name] = Math.Round(value, 3, MidpointRounding.AwayFromZero);
        }

        var endedAtTicks = Math.Max(startedTicks, endedTicks);
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
            EndedAt = new DateTimeOffset(endedAtTicks, TimeSpan.Zero),
            Evidence = new Evidence { Measurements = rounded, Summary = summary, Boxes = boxes is { Count: > 0 } ? Boxes(boxes, startedTicks, endedAtTicks) : null },
            SchemaVersion = EventTypes.CurrentVersion.Signal,
        };
    }

    public static double Seconds(long ticks) => (double)ticks / TimeSpan.TicksPerSecond;

    /// <summary>
    /// The boxes a signal shows, at most <see cref="Evidence.MaxBoxes"/>: the last box of each of the
    /// first tracks of <paramref name="tracks"/> (the rule's order of importance), then, while there
    /// is room, their first boxes in the same order. A first box counts only when it lies within
    /// the signal's stretch and before the track's last box, so it shows where the behaviour began
    /// and never repeats the last one. Listed per track, in the rules' order, first box before last.
    /// </summary>
    /// <param name="tracks">The tracks' boxes, most important first.</param>
    /// <param name="startedTicks">Start of the signal's stretch, UTC ticks.</param>
    /// <param name="endedTicks">End of the signal's stretch, UTC ticks.</param>
    /// <returns>The boxes; empty when no track was given.</returns>
    public static IReadOnlyList<EvidenceBox> Boxes(IReadOnlyList<TrackEvidence> tracks, long startedTicks, long endedTicks)
    {
        var kept = Math.Min(tracks.Count, Evidence.MaxBoxes);
        var firsts = 0;
        for (var i = 0; i < kept && kept + firsts < Evidence.MaxBoxes; i++)
        {
            firsts += ShowsFirst(tracks[i], startedTicks, endedTicks) ? 1 : 0;
        }

        var boxes = new EvidenceBox[kept + firsts];
        var at = 0;
        for (var i = 0; i < kept; i++)
        {
            var track = tracks[i];
            var objectClass = string.IsNullOrEmpty(track.ObjectClass) ? null : track.ObjectClass;
            if (firsts > 0 && ShowsFirst(track, startedTicks, endedTicks))
            {
                firsts--;
                boxes[at++] = new EvidenceBox { TrackId = track.TrackId, ObjectClass = objectClass, Box = track.First!, At = new DateTimeOffset(track.FirstTicks, TimeSpan.Zero) };
            }

            boxes[at++] = new EvidenceBox { TrackId = track.TrackId, ObjectClass = objectClass, Box = track.Last, At = new DateTimeOffset(track.LastTicks, TimeSpan.Zero) };
        }

        return boxes;
    }

    private static bool ShowsFirst(TrackEvidence track, long startedTicks, long endedTicks) =>
        track.First is not null && track.FirstTicks >= startedTicks && track.FirstTicks <= endedTicks && track.FirstTicks < track.LastTicks;
}
