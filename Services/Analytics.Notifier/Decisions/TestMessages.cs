using System.Text.Json;
using Analytics.Data.Notifications;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Notifier.Decisions;

/// <summary>
/// What a test message of a rule carries: a notification like any other, about a sample incident
/// that exists nowhere (domain platform, kind <see cref="Kind"/>, the rule's least severity), so a
/// receiver sees the real shape, and marked as a test in the body (<c>test: true</c>), the title
/// (<c>[TEST]</c>) and, for e-mail, a header.
/// </summary>
public static class TestMessages
{
    /// <summary>The sample incident's kind; no rule or correlation makes it.</summary>
    public const string Kind = "notification_test";

    /// <summary>The sample incident's site; no organization's.</summary>
    public const string SiteId = "test";

    /// <summary>The sample incident of a test message of <paramref name="rule"/>, as the request asked at <paramref name="at"/>.</summary>
    public static Incident SampleIncident(NotificationRule rule, string deliveryId, string requestedBy, DateTimeOffset at) => new()
    {
        Id = SampleIncidentId(deliveryId),
        OrgId = rule.OrgId,
        Domain = Domain.Platform,
        Kind = Kind,
        Severity = rule.MinSeverity,
        SeverityReason = $"A test message of rule {rule.RuleId}, asked for by {requestedBy}; nothing happened.",
        Status = IncidentStatus.Open,
        SiteId = SiteId,
        SignalIds = [],
        OpenedAt = at,
        UpdatedAt = at,
        SchemaVersion = EventTypes.CurrentVersion.Incident,
    };

    /// <summary>One sample incident per test, named after its delivery.</summary>
    public static string SampleIncidentId(string deliveryId) => "test-" + deliveryId[NotificationRequestStore.TestDeliveryIdPrefix.Length..];

    /// <summary>The delivery-log row of a test: pending with its sample incident, or a dead letter when the rule is gone.</summary>
    public static NewTestDelivery Delivery(ClaimedRequest request, NotificationRule? rule, DateTimeOffset now)
    {
        var ruleId = request.RuleId!;
        var asked = NotificationRequestStore.TestReason(ruleId, request.RequestedBy);
        // Fixed now, like a real notification's incident, so every attempt sends the same.
        var payload = rule is null
            ? null
            : JsonSerializer.Serialize(SampleIncident(rule, request.DeliveryId, request.RequestedBy, now), AnalyticsJsonContext.Default.Incident);
        return new NewTestDelivery(
            request.DeliveryId, DeliveryIds.TestKey(request.DeliveryId), request.OrgId,
            rule is null ? DeliveryStatus.DeadLetter : DeliveryStatus.Pending,
            rule is null ? $"{asked}; not sent: the rule was deleted before the notifier took the request" : asked,
            ruleId, rule?.Channel, SampleIncidentId(request.DeliveryId), now, payload, request.TraceParent, request.TraceState);
    }
}
