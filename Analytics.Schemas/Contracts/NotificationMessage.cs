using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// The JSON body of a webhook notification. It is sent with the headers <c>Idempotency-Key</c>
/// (the same on every attempt), <c>X-Analytics-Timestamp</c> (Unix seconds) and
/// <c>X-Analytics-Signature: v1=&lt;hex HMAC-SHA256(signing secret, timestamp + "." + body)&gt;</c>.
/// Everything but <see cref="SentAt"/> is the same on every attempt.
/// </summary>
[Description("Body of a webhook notification: one incident change, or a digest of those over the quota.")]
public sealed record NotificationMessage
{
    [Description("A notification about one incident change, or a digest.")]
    public required DeliveryKind Kind { get; init; }

    [Description("True on a test message someone asked for: its incident is a sample (domain platform, kind notification_test) and nothing happened. Absent on every real notification and digest.")]
    // Left out when false, so a real message's body is exactly what it was before tests existed.
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Test { get; init; }

    [Id, Description("Delivery id in the delivery log.")]
    public required string DeliveryId { get; init; }

    [Id, Description("The same on every attempt; drop a message whose key you have seen.")]
    public required string IdempotencyKey { get; init; }

    [Id, Description("Organization.")]
    public required string OrgId { get; init; }

    [Id, Description("Notification rule that sent it.")]
    public required string RuleId { get; init; }

    [Description("The change: opened, reopened, severityChanged or resolved; on notifications.")]
    public IncidentEventType? Transition { get; init; }

    [Range(1, int.MaxValue), Description("Version of the incident event that was the change; on notifications.")]
    public int? EventVersion { get; init; }

    [Description("The incident as the change left it; on notifications.")]
    public Incident? Incident { get; init; }

    [Description("The notifications it summarizes; on digests.")]
    public NotificationDigest? Digest { get; init; }

    [Description("When this attempt was made, UTC; also the signed timestamp.")]
    public required DateTimeOffset SentAt { get; init; }

    [Range(1, int.MaxValue), Description("Version of the notification message schema.")]
    public required int SchemaVersion { get; init; }
}

/// <summary>Notifications of one rule that went over the organization's quota in one window.</summary>
[Description("Notifications of one rule that went over the organization's quota in one window.")]
public sealed record NotificationDigest
{
    [Description("Start of the quota window, UTC.")]
    public required DateTimeOffset WindowStart { get; init; }

    [Description("End of the quota window, UTC.")]
    public required DateTimeOffset WindowEnd { get; init; }

    [Description("The incident changes, in the order they were decided.")]
    public required IReadOnlyList<DigestItem> Items { get; init; }
}

/// <summary>One incident change summarized in a digest.</summary>
[Description("One incident change summarized in a digest.")]
public sealed record DigestItem
{
    [Id, Description("Delivery id of the folded notification.")]
    public required string DeliveryId { get; init; }

    [Id, Description("Incident.")]
    public required string IncidentId { get; init; }

    [Description("The change.")]
    public required IncidentEventType Transition { get; init; }

    [Range(1, int.MaxValue), Description("Version of the incident event.")]
    public required int EventVersion { get; init; }

    [Id, Description("Incident kind.")]
    public required string IncidentKind { get; init; }

    [Description("Incident severity after the change.")]
    public required Severity Severity { get; init; }

    [Id, Description("Site.")]
    public required string SiteId { get; init; }

    [Description("When the change happened, UTC.")]
    public required DateTimeOffset At { get; init; }
}
