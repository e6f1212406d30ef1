using System.Text.Json;
using Analytics.Data.Notifications;
using Analytics.Notifier.Channels;
using Analytics.Notifier.Decisions;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Notifier;

/// <summary>What people ask of the notifier, decided without I/O: a rule's test message and which deliveries may be redelivered.</summary>
public sealed class NotificationRequestTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly NotificationRule Rule = new()
    {
        OrgId = "org-1",
        RuleId = "night",
        Name = "Night shift",
        Channel = NotificationChannel.Webhook,
        Url = "https://hooks.example.com/a",
        MinSeverity = Severity.High,
        CooldownSeconds = 300,
        NotifyOnResolved = false,
        Enabled = true,
        CreatedAt = Now,
        UpdatedAt = Now,
    };

    private static ClaimedRequest Test(string deliveryId = "dlv-0123456789abcdef0123456789abcdef") =>
        new(Guid.NewGuid(), "org-1", NotificationRequestKind.Test, "night", deliveryId, null, "user:42", Now.AddSeconds(-1), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null);

    [Fact]
    public void A_test_is_a_pending_notification_about_a_sample_platform_incident_with_the_key_of_its_delivery_id()
    {
        var delivery = TestMessages.Delivery(Test(), Rule, Now);

        Assert.Equal(DeliveryStatus.Pending, delivery.Status);
        Assert.Equal("dlv-0123456789abcdef0123456789abcdef", delivery.DeliveryId);
        Assert.Equal(delivery.DeliveryId, DeliveryIds.DeliveryId(delivery.IdempotencyKey));
        Assert.Equal(NotificationChannel.Webhook, delivery.Channel);
        Assert.Contains("user:42", delivery.Reason, StringComparison.Ordinal);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", delivery.TraceParent);
        var incident = JsonSerializer.Deserialize(delivery.Payload!, AnalyticsJsonContext.Default.Incident)!;
        Assert.Equal(delivery.SampleIncidentId, incident.Id);
        Assert.StartsWith("test-", incident.Id, StringComparison.Ordinal);
        Assert.Equal((Domain.Platform, TestMessages.Kind, Severity.High, "org-1"), (incident.Domain, incident.Kind, incident.Severity, incident.OrgId));
        Assert.Empty(ContractValidator.Validate(incident, Now));
    }

    [Fact]
    public void Two_tests_of_one_rule_are_two_deliveries_with_two_keys_and_two_sample_incidents()
    {
        var first = TestMessages.Delivery(Test("dlv-00000000000000000000000000000001"), Rule, Now);
        var second = TestMessages.Delivery(Test("dlv-00000000000000000000000000000002"), Rule, Now);

        Assert.NotEqual(first.IdempotencyKey, second.IdempotencyKey);
        Assert.NotEqual(first.SampleIncidentId, second.SampleIncidentId);
    }

    [Fact]
    public void A_test_of_a_rule_deleted_before_the_notifier_took_it_is_a_dead_letter_that_says_so()
    {
        var delivery = TestMessages.Delivery(Test(), rule: null, Now);

        Assert.Equal(DeliveryStatus.DeadLetter, delivery.Status);
        Assert.Null(delivery.Payload);
        Assert.Null(delivery.Channel);
        Assert.Contains("the rule was deleted", delivery.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_test_message_says_so_in_its_title_and_a_real_one_does_not()
    {
        var incident = TestMessages.SampleIncident(Rule, "dlv-0123456789abcdef0123456789abcdef", "user:42", Now);
        var message = new NotificationMessage
        {
            Kind = DeliveryKind.Notification,
            DeliveryId = "dlv-1",
            IdempotencyKey = "nk-1",
            OrgId = "org-1",
            RuleId = "night",
            Transition = IncidentEventType.Opened,
            EventVersion = 1,
            Incident = incident,
            SentAt = Now,
            SchemaVersion = 1,
        };

        Assert.Equal("[HIGH] notification_test opened at site test", MessageText.Title(message));
        Assert.Equal("[TEST] [HIGH] notification_test opened at site test", MessageText.Title(message with { Test = true }));
        Assert.Equal("[TEST] [HIGH] notification_test opened at site test", SlackChannel.Body(message with { Test = true })["text"]!.GetValue<string>());
        // A real message's body is what it was before tests existed: no "test" member at all.
        Assert.DoesNotContain("\"test\":", JsonSerializer.Serialize(message, AnalyticsJsonContext.Default.NotificationMessage), StringComparison.Ordinal);
        Assert.Contains("\"test\":true", JsonSerializer.Serialize(message with { Test = true }, AnalyticsJsonContext.Default.NotificationMessage), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DeliveryStatus.DeadLetter, null)]
    [InlineData(DeliveryStatus.Sent, "was sent")]
    [InlineData(DeliveryStatus.Pending, "go on by themselves")]
    [InlineData(DeliveryStatus.Retrying, "go on by themselves")]
    [InlineData(DeliveryStatus.SuppressedSilence, "nothing was to be sent")]
    [InlineData(DeliveryStatus.FoldedIntoDigest, "nothing was to be sent")]
    [InlineData(DeliveryStatus.NoMatchingRule, "nothing was to be sent")]
    public void Only_a_dead_letter_may_be_redelivered(DeliveryStatus status, string? why)
    {
        var delivery = new Delivery
        {
            DeliveryId = "dlv-1",
            OrgId = "org-1",
            Kind = DeliveryKind.Notification,
            Status = status,
            Reason = "r",
            DecidedAt = Now,
            Attempts = [],
        };

        var refusal = Redelivery.Refusal(delivery);

        if (why is null)
        {
            Assert.Null(refusal);
        }
        else
        {
            Assert.NotNull(refusal);
            Assert.Contains(why, refusal, StringComparison.Ordinal);
            Assert.Contains("dlv-1", refusal, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_test_not_yet_taken_reads_as_its_pending_delivery()
    {
        var delivery = new RequestedTest("dlv-9", "night", "user:42", Now).AsPendingDelivery("org-1", NotificationChannel.Email);

        Assert.Equal((DeliveryStatus.Pending, true, "night", NotificationChannel.Email, Now), (delivery.Status, delivery.Test, delivery.RuleId, delivery.Channel, delivery.DecidedAt));
        Assert.Empty(delivery.Attempts);
    }
}
