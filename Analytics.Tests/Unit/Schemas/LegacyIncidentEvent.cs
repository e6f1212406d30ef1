using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Schemas;

/// <summary>
/// The single incident event record that every stored history was written with until the records
/// per type (git show 1a9ff1b:Analytics.Schemas/Contracts/IncidentEvent.cs), its members in the
/// same order and without the schema annotations, so tests can write documents exactly as it did.
/// </summary>
internal sealed record LegacyIncidentEvent
{
    public required string IncidentId { get; init; }
    public required string OrgId { get; init; }
    public required int Version { get; init; }
    public required IncidentEventType Type { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Actor { get; init; }
    public string? SignalId { get; init; }
    public string? SignalKind { get; init; }
    public DateTimeOffset? SignalAt { get; init; }
    public IReadOnlyList<AttachedSignal>? Signals { get; init; }
    public Domain? Domain { get; init; }
    public string? Kind { get; init; }
    public Severity? Severity { get; init; }
    public string? SiteId { get; init; }
    public string? CameraId { get; init; }
    public string? ZoneId { get; init; }
    public string? GroupKey { get; init; }
    public string? Reason { get; init; }
    public string? Comment { get; init; }
    public string? SilenceId { get; init; }
    public required int SchemaVersion { get; init; }
}
