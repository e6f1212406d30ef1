using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Platform;

/// <summary>Signals as a rule service would write them, for tests that start at fusion.</summary>
public static class TestSignals
{
    public static Signal Of(
        string orgId, string id, string kind, string zone, DateTimeOffset start, double seconds = 5,
        Severity severity = Severity.Medium, string camera = "cam-1")
    {
        // Whole milliseconds: Postgres keeps microseconds, .NET ticks are finer.
        start = new DateTimeOffset(start.Ticks - start.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        return new()
        {
            Id = id,
            OrgId = orgId,
            Domain = Domain.Antitheft,
            Kind = kind,
            Severity = severity,
            Confidence = 0.9,
            SiteId = "site-1",
            CameraId = camera,
            ZoneId = zone,
            TrackIds = ["p-1"],
            StartedAt = start,
            EndedAt = start.AddSeconds(seconds),
            Evidence = new Evidence
            {
                Measurements = new Dictionary<string, double> { ["seconds"] = seconds },
                Boxes =
                [
                    new EvidenceBox { TrackId = "p-1", ObjectClass = "person", Box = new BoundingBox(0.2, 0.3, 0.1, 0.4), At = start },
                    new EvidenceBox { TrackId = "p-1", ObjectClass = "person", Box = new BoundingBox(0.25, 0.3, 0.1, 0.4), At = start.AddSeconds(seconds) },
                ],
            },
            SchemaVersion = 1,
        };
    }
}
