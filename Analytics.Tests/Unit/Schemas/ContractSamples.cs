using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Schemas;

/// <summary>Valid contract instances that tests break one field at a time.</summary>
internal static class ContractSamples
{
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static Site Site() => new()
    {
        OrgId = "org-1",
        SiteId = "store-17",
        Name = "Store 17, Main Street",
        TimeZone = "Europe/Berlin",
        Address = "Hauptstrasse 1, 10115 Berlin",
        Description = "Open Monday to Saturday",
    };

    public static Camera Camera() => new()
    {
        OrgId = "org-1",
        CameraId = "cam-entrance",
        SiteId = "store-17",
        Name = "Entrance",
        Description = "Above the door, facing in",
        OfflineAfterSeconds = 600,
    };

    public static TrackUpdate TrackUpdate() => new()
    {
        SchemaVersion = 1,
        SiteId = "store-17",
        CameraId = "cam-entrance",
        OccurredAt = Now.AddSeconds(-1),
        TrackId = "t-42",
        ObjectClass = "person",
        Confidence = 0.92,
        Box = new BoundingBox(0.1, 0.2, 0.3, 0.4),
        Attributes = ["no_helmet", "no_vest"],
    };

    public static ZoneHit ZoneHit() => new()
    {
        SchemaVersion = 1,
        SiteId = "store-17",
        CameraId = "cam-entrance",
        OccurredAt = Now.AddSeconds(-1),
        ZoneId = "zone-checkout",
        TrackId = "t-42",
        ObjectClass = "person",
        Transition = ZoneTransition.Enter,
    };

    public static AffectTelemetry AffectTelemetry() => new()
    {
        SchemaVersion = 1,
        SiteId = "school-3",
        CameraId = "cam-room-101",
        OccurredAt = Now.AddSeconds(-1),
        ZoneId = "room-101",
        SubjectKey = "slot-7",
        Engagement = 0.6,
        Valence = -0.2,
        Arousal = 0.4,
        Confidence = 0.8,
    };

    public static Signal Signal() => new()
    {
        Id = "sig-0001",
        OrgId = "org-acme",
        Domain = Domain.Antitheft,
        Kind = "loitering",
        Severity = Severity.High,
        Confidence = 0.85,
        SiteId = "store-17",
        CameraId = "cam-entrance",
        ZoneId = "zone-checkout",
        TrackIds = ["t-42"],
        StartedAt = Now.AddMinutes(-3),
        EndedAt = Now.AddMinutes(-1),
        Evidence = new Evidence
        {
            Measurements = new Dictionary<string, double> { ["dwellSeconds"] = 125.5 },
            ObservationIds = ["obs-1", "obs-2"],
            Summary = "Person stayed 125 s near the checkout.",
            Boxes =
            [
                new EvidenceBox { TrackId = "t-42", ObjectClass = "person", Box = new BoundingBox(0.1, 0.2, 0.3, 0.4), At = Now.AddMinutes(-3) },
                new EvidenceBox { TrackId = "t-42", ObjectClass = "person", Box = new BoundingBox(0.15, 0.25, 0.3, 0.4), At = Now.AddMinutes(-1) },
            ],
        },
        SchemaVersion = 1,
    };

    public static Incident Incident() => new()
    {
        Id = "inc-0001",
        OrgId = "org-acme",
        Domain = Domain.Safety,
        Kind = "fall",
        Severity = Severity.Critical,
        SeverityReason = "person lying for 30 s",
        Status = IncidentStatus.Open,
        SiteId = "plant-2",
        CameraId = "cam-dock",
        ZoneId = null,
        SignalIds = ["sig-0001", "sig-0002"],
        OpenedAt = Now.AddMinutes(-10),
        UpdatedAt = Now.AddMinutes(-5),
        SchemaVersion = 1,
    };

    public static AnalyticsEvent Event(Signal? signal = null) => new()
    {
        Id = new Guid("0b6c7a8e-4f1d-4c39-9b55-2f9d3c1e7a10"),
        Type = EventTypes.Signal,
        SchemaVersion = 1,
        OrgId = "org-acme",
        OccurredAt = Now.AddMinutes(-1),
        RecordedAt = Now,
        Trace = new TraceContext("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "vendor=abc"),
        Payload = JsonSerializer.SerializeToElement(signal ?? Signal(), AnalyticsJsonContext.Default.Signal),
    };

    public static AnalyticsEvent Event(string type, string payloadJson)
    {
        using var payload = JsonDocument.Parse(payloadJson);
        return Event() with { Type = type, Payload = payload.RootElement.Clone() };
    }
}
