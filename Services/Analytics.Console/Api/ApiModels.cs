using System.Text.Json;
using Analytics.Schemas.Contracts;

namespace Analytics.Console.Api;

// The API's answers the shared contracts do not already describe, as the API documents them
// (GET /openapi/v1.json). The console reads only the fields it shows.

/// <summary>One page of a list, newest first; <see cref="NextCursor"/> asks for the next.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>An incident with its evidence chain and history.</summary>
public sealed record IncidentDetail(
    Incident Incident,
    string? Resolution,
    string? SilenceId,
    string? Annotation,
    IReadOnlyList<Signal> Evidence,
    IReadOnlyList<IncidentEvent> History);

/// <summary>How many incidents of each status match the inbox's filters.</summary>
public sealed record IncidentCounts(int Open, int Acknowledged, int Resolved)
{
    public int Of(IncidentStatus status) => status switch
    {
        IncidentStatus.Open => Open,
        IncidentStatus.Acknowledged => Acknowledged,
        _ => Resolved,
    };
}

/// <summary>Incidents opened in the last hours, per site and kind, counted per bucket (oldest first).</summary>
public sealed record IncidentOverview(DateTimeOffset From, DateTimeOffset To, int Hours, int BucketMinutes, int Total, IReadOnlyList<OverviewSeries> Series);

public sealed record OverviewSeries(string SiteId, string Kind, int Total, IReadOnlyList<int> Counts);

/// <summary>What the change feed says of one incident: read it again.</summary>
public sealed record IncidentChange(string IncidentId, string SiteId, IncidentStatus Status, int Version);

/// <summary>The inbox's filters, as the incident list and counts take them.</summary>
public sealed record IncidentFilter(Severity? MinSeverity = null, Domain? Domain = null, string? Kind = null, string? SiteId = null);

/// <summary>Whether a camera is sending: when ingest last heard from it, and whether that is within its offline threshold.</summary>
public sealed record CameraStatus(
    string CameraId, string SiteId, DateTimeOffset? LastSeenAt, DateTimeOffset? LastEventAt, bool Online, int OfflineAfterSeconds);

public sealed record SilenceRequest(
    DateTimeOffset EndsAt, string? SiteId = null, string? CameraId = null, string? ZoneId = null, string? Kind = null,
    DateTimeOffset? StartsAt = null, string? Comment = null);

public sealed record ZoneRequest(
    string SiteId, string CameraId, string Name, ZoneKind Kind, IReadOnlyList<Point> Polygon,
    ActiveHours? Schedule = null, IReadOnlyList<string>? Rules = null, ZoneThresholds? Thresholds = null);

public sealed record NotificationRuleRequest(
    string Name, NotificationChannel Channel, Severity MinSeverity, string? Url = null, IReadOnlyList<string>? Recipients = null,
    IReadOnlyList<Domain>? Domains = null, IReadOnlyList<string>? Kinds = null, ActiveHours? QuietHours = null,
    int CooldownSeconds = 300, bool NotifyOnResolved = false, bool Enabled = true);

public sealed record NotificationRuleCreated(NotificationRule Rule, string SigningSecret);

/// <summary>The notifier will carry out the request; this delivery records how it went.</summary>
public sealed record DeliveryAccepted(string DeliveryId);

public sealed record UserView(Guid UserId, string Email, string OrgRole, string[] Sites, bool Disabled, DateTimeOffset? DisabledAt, DateTimeOffset CreatedAt);

public sealed record InvitationRequest(string Email, string OrgRole, string[]? Sites = null);

public sealed record InvitationCreated(Guid InvitationId, string Email, string OrgRole, string[] Sites, DateTimeOffset ExpiresAt, string Token, string? AcceptUrl);

public sealed record MembershipChange(string? OrgRole = null, string[]? Sites = null);

public sealed record ApiKeyView(
    Guid KeyId, string Name, string Prefix, string[] Scopes, string Actor, DateTimeOffset CreatedAt, string? CreatedBy,
    DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

public sealed record ApiKeyRequest(string Name, string[] Scopes, DateTimeOffset? ExpiresAt = null);

public sealed record ApiKeyCreated(ApiKeyView Key, string Secret);

public sealed record AuditEventView(
    Guid EventId, DateTimeOffset At, string Actor, string Action, string TargetType, string TargetId,
    JsonElement? Before, JsonElement? After, string? TraceId);
