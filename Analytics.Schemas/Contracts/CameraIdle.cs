using System.ComponentModel;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// The payload of a <see cref="EventTypes.CameraIdle"/> log entry, which only ingest writes: the
/// camera sent nothing at all for the idle timeout, so its open behaviours end. The rule services
/// read the envelope alone; this says it to a person reading the log.
/// </summary>
[Description("Written by ingest when a camera sent nothing for Rules:IdleTimeoutSeconds; its open behaviours end.")]
public sealed record CameraIdle
{
    public string Type { get; init; } = EventTypes.CameraIdle;

    public int SchemaVersion { get; init; } = EventTypes.CurrentVersion.CameraIdle;

    public required string CameraId { get; init; }

    [Description("The newest event time ingest had committed for the camera.")]
    public required DateTimeOffset LastEventAt { get; init; }

    public required int IdleTimeoutSeconds { get; init; }
}
