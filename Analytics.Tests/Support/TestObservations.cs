using System.Text;
using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Platform;

/// <summary>Observations as an edge tracker would send them to ingest.</summary>
public static class TestObservations
{
    /// <summary>One frame of a person track: a 0.1 × 0.4 box with its top left corner at (x, y).</summary>
    public static string Track(DateTimeOffset at, string track, double x, double y, string site = "store-1", string camera = "cam-1") =>
        JsonSerializer.Serialize<Observation>(new TrackUpdate
        {
            SchemaVersion = 1,
            SiteId = site,
            CameraId = camera,
            OccurredAt = at,
            TrackId = track,
            ObjectClass = "person",
            Confidence = 0.9,
            Box = new BoundingBox(x, y, 0.1, 0.4),
        }, AnalyticsJsonContext.Default.Observation);

    /// <summary>A batch body: the frames as one JSON array.</summary>
    public static StringContent Batch(IEnumerable<string> frames) => new("[" + string.Join(',', frames) + "]", Encoding.UTF8, "application/json");
}
