namespace Analytics.Schemas.Contracts;

/// <summary>
/// Event type names as they appear in <see cref="AnalyticsEvent.Type"/> and as the
/// <c>type</c> discriminator of observations, with the schema versions the platform accepts.
/// </summary>
public static class EventTypes
{
    public const string TrackUpdate = "track_update";
    public const string ZoneHit = "zone_hit";
    public const string AffectTelemetry = "affect_telemetry";
    public const string CameraHeartbeat = "camera_heartbeat";

    /// <summary>
    /// Written by ingest, never sent by the edge: the camera sent nothing at all for
    /// <c>Rules:IdleTimeoutSeconds</c>, so its open behaviours end. Its event time is the newest
    /// event time ingest had committed for the camera.
    /// </summary>
    public const string CameraIdle = "camera_idle";
    public const string Signal = "signal";
    public const string Incident = "incident";
    public const string IncidentEvent = "incident_event";

    /// <summary>The versions producers should write today.</summary>
    public static class CurrentVersion
    {
        public const int TrackUpdate = 1;
        public const int ZoneHit = 1;
        public const int AffectTelemetry = 1;
        public const int CameraHeartbeat = 1;
        public const int CameraIdle = 1;
        public const int Signal = 1;
        public const int Incident = 1;
        public const int IncidentEvent = 1;
        public const int NotificationMessage = 1;
    }

    public static IReadOnlyList<string> All { get; } = [TrackUpdate, ZoneHit, AffectTelemetry, CameraHeartbeat, Signal, Incident];

    private static readonly int[] _trackUpdateVersions = [CurrentVersion.TrackUpdate];
    private static readonly int[] _zoneHitVersions = [CurrentVersion.ZoneHit];
    private static readonly int[] _affectTelemetryVersions = [CurrentVersion.AffectTelemetry];
    private static readonly int[] _cameraHeartbeatVersions = [CurrentVersion.CameraHeartbeat];
    private static readonly int[] _signalVersions = [CurrentVersion.Signal];
    private static readonly int[] _incidentVersions = [CurrentVersion.Incident];

    public static bool IsKnown(string? type) => SupportedVersions(type).Count > 0;

    /// <summary>The versions the platform can read for <paramref name="type"/>; empty when the type is unknown.</summary>
    public static IReadOnlyList<int> SupportedVersions(string? type) => type switch
    {
        TrackUpdate => _trackUpdateVersions,
        ZoneHit => _zoneHitVersions,
        AffectTelemetry => _affectTelemetryVersions,
        CameraHeartbeat => _cameraHeartbeatVersions,
        Signal => _signalVersions,
        Incident => _incidentVersions,
        _ => [],
    };

    public static bool IsSupported(string? type, int version) => SupportedVersions(type).Contains(version);

    /// <summary>Whether entries of <paramref name="type"/> are about one camera and move its clock: observations, heartbeats and idle closes.</summary>
    public static bool IsCameraEvent(string? type) => type is TrackUpdate or ZoneHit or AffectTelemetry or CameraHeartbeat or CameraIdle;

    /// <summary>The type name of a versioned contract record (e.g. <c>track_update</c> for <see cref="Contracts.TrackUpdate"/>); null for others.</summary>
    public static string? ContractName(Type contract) =>
        contract == typeof(Contracts.TrackUpdate) ? TrackUpdate
        : contract == typeof(Contracts.ZoneHit) ? ZoneHit
        : contract == typeof(Contracts.AffectTelemetry) ? AffectTelemetry
        : contract == typeof(Contracts.CameraHeartbeat) ? CameraHeartbeat
        : contract == typeof(Contracts.Signal) ? Signal
        : contract == typeof(Contracts.Incident) ? Incident
        : null;

    /// <summary>The type name of an observation, the same string as its <c>type</c> discriminator.</summary>
    public static string Of(Observation observation) => observation switch
    {
        Contracts.TrackUpdate => TrackUpdate,
        Contracts.ZoneHit => ZoneHit,
        Contracts.AffectTelemetry => AffectTelemetry,
        Contracts.CameraHeartbeat => CameraHeartbeat,
        _ => throw new ArgumentException($"Unknown observation type {observation.GetType().Name}.", nameof(observation)),
    };
}
