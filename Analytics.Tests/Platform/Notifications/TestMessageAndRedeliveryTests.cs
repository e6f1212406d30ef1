using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Platform.Notifications;

/// <summary>
/// What the console asks of the notifier through the API, on the real AppHost: a rule's test
/// message, sent for real to a webhook receiver and an SMTP server and recorded in the delivery
/// log; a dead letter redelivered once its receiver works again, across a notifier restart; and
/// what is refused (not a dead letter, asked twice, unknown ids), each on the audit trail or not.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class TestMessageAndRedeliveryTests(PlatformFixture platform)
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(90);

    private sealed record Requested(string DeliveryId);

    [Fact]
    public async Task A_test_message_arrives_at_a_real_webhook_marked_as_a_test_and_its_delivery_is_sent_in_the_log()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        var admin = await platform.AddAsync(steps.OrgId, OrgRoles.Admin);
        using var api = platform.CreateClient(ResourceNames.Api, admin.AccessToken);
        await using var receiver = await WebhookReceiver.StartAsync();
        // Disabled and for critical incidents only: a test is of the channel, whatever the rule would match.
        var rule = await steps.CreateRuleAsync("ops-hook", new { name = "Ops", channel = "webhook", url = receiver.Url, minSeverity = "critical", enabled = false });

        using var accepted = await api.PostAsync("/v1/notification-rules/ops-hook/test", content: null);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var deliveryId = (await accepted.Content.ReadFromJsonAsync<Requested>(NotificationSteps.Json))!.DeliveryId;
        Assert.Equal($"/v1/deliveries/{deliveryId}", accepted.Headers.Location?.OriginalString);
        var delivery = await Eventually.Until(() => GetDeliveryAsync(api, accepted.Headers.Location!.OriginalString),
            d => d.Status == DeliveryStatus.Sent, "the test message sent", DeliveryTimeout);
        Assert.True(delivery.Test);
        Assert.Equal(("ops-hook", NotificationChannel.Webhook, DeliveryKind.Notification), (delivery.RuleId, delivery.Channel, delivery.Kind));
        Assert.Equal([(1, AttemptOutcome.Sent, 1)], delivery.Attempts.Select(a => (a.Attempt, a.Outcome, a.Round)));
        Assert.Contains("user:" + admin.UserId, delivery.Reason, StringComparison.Ordinal);

        var webhook = Assert.Single(receiver.Received);
        Assert.True(webhook.HasValidSignature(rule.SigningSecret), "the signature does not verify");
        Assert.Equal(delivery.IdempotencyKey, webhook.IdempotencyKey);
        var message = JsonSerializer.Deserialize(webhook.Body, AnalyticsJsonContext.Default.NotificationMessage)!;
        Assert.True(message.Test);
        Assert.Contains("\"test\":true", webhook.Text, StringComparison.Ordinal);
        Assert.Equal((DeliveryKind.Notification, deliveryId, "ops-hook", steps.OrgId), (message.Kind, message.DeliveryId, message.RuleId, message.OrgId));
        Assert.Equal((Domain.Platform, "notification_test", Severity.Critical), (message.Incident!.Domain, message.Incident.Kind, message.Incident.Severity));
        Assert.Equal(delivery.IncidentId, message.Incident.Id);
        // The log lists it with the rule's other deliveries, and a real incident's deliveries never name it.
        Assert.Equal([deliveryId], (await steps.DeliveriesAsync("?ruleId=ops-hook")).Select(d => d.DeliveryId));

        var audit = await AuditAsync(api, "?targetType=notification_rule&targetId=ops-hook");
        var tested = Assert.Single(audit, e => e.GetProperty("action").GetString() == "notification_rule.tested");
        Assert.Equal("user:" + admin.UserId, tested.GetProperty("actor").GetString());
        Assert.Equal(deliveryId, tested.GetProperty("after").GetProperty("deliveryId").GetString());
    }

    [Fact]
    public async Task A_test_e_mail_arrives_at_a_real_smtp_server_with_a_test_subject_and_header()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var smtp = await SmtpCapture.StartAsync(platform.SmtpPort);
        await steps.CreateRuleAsync("mail", new { name = "Night shift", channel = "email", recipients = new[] { "night@example.com" }, minSeverity = "high" });
        using var api = steps.Api();

        using var accepted = await api.PostAsync("/v1/notification-rules/mail/test", content: null);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var deliveryId = (await accepted.Content.ReadFromJsonAsync<Requested>(NotificationSteps.Json))!.DeliveryId;
        var delivery = await Eventually.Until(() => GetDeliveryAsync(api, $"/v1/deliveries/{deliveryId}"),
            d => d.Status == DeliveryStatus.Sent, "the test e-mail sent", DeliveryTimeout);
        Assert.True(delivery.Test);
        Assert.Equal(NotificationChannel.Email, delivery.Channel);
        var mail = Assert.Single(smtp.Messages, m => m.Text.Contains($"X-Analytics-Delivery-Id: {deliveryId}", StringComparison.Ordinal));
        Assert.Equal(["night@example.com"], mail.Recipients);
        Assert.Contains("Subject: [TEST] [HIGH] notification_test opened at site test", mail.Text, StringComparison.Ordinal);
        Assert.Contains("X-Analytics-Test: true", mail.Text, StringComparison.Ordinal);
        Assert.Contains($"Idempotency-Key: {delivery.IdempotencyKey}", mail.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dead_letter_redelivered_once_its_receiver_works_is_sent_with_its_old_and_new_attempts_even_across_a_notifier_restart()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        var operatorUser = await platform.AddAsync(steps.OrgId, OrgRoles.Operator);
        using var asOperator = platform.CreateClient(ResourceNames.Api, operatorUser.AccessToken);
        using var asKey = steps.Api();
        var maxAttempts = new Analytics.Notifier.NotifierSettings().MaxAttempts;
        // Down for every attempt of the first round, working from the next request on.
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: maxAttempts);
        var rule = await steps.CreateWebhookRuleAsync("flaky", receiver.Url);
        await steps.InsertSignalsAsync(steps.Signal("s-1", "intrusion", "vault", DateTimeOffset.UtcNow.AddMinutes(-1)));
        var deadLetter = (await Eventually.Until(() => steps.DeliveriesAsync(),
            d => d.Count == 1 && d[0].Status == DeliveryStatus.DeadLetter, "the dead letter", DeliveryTimeout))[0];
        var path = $"/v1/deliveries/{deadLetter.DeliveryId}";

        // Asked while the notifier is down: the requests wait in the database, not in its memory.
        var killed = await platform.KillAsync(ResourceNames.Notifier);
        using (var accepted = await asOperator.PostAsync(path + "/redeliver", content: null))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            Assert.Equal(path, accepted.Headers.Location?.OriginalString);
            Assert.Equal(deadLetter.DeliveryId, (await accepted.Content.ReadFromJsonAsync<Requested>(NotificationSteps.Json))!.DeliveryId);
        }
        using (var again = await asOperator.PostAsync(path + "/redeliver", content: null))
        {
            var problem = await ProblemAssert.IsAsync(again, HttpStatusCode.Conflict);
            Assert.Contains("asked for already", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(Json(deadLetter), Json(await GetDeliveryAsync(asKey, path)));
        // A test asked now reads at once as the pending delivery it will be.
        using var testAccepted = await asKey.PostAsync("/v1/notification-rules/flaky/test", content: null);
        Assert.Equal(HttpStatusCode.Accepted, testAccepted.StatusCode);
        var testPath = testAccepted.Headers.Location!.OriginalString;
        var waiting = await GetDeliveryAsync(asKey, testPath);
        Assert.Equal((DeliveryStatus.Pending, true, "flaky"), (waiting.Status, waiting.Test, waiting.RuleId));
        Assert.Empty(waiting.Attempts);
        await platform.StartAsync(ResourceNames.Notifier, killed);

        var redelivered = await Eventually.Until(() => GetDeliveryAsync(asKey, path), d => d.Status == DeliveryStatus.Sent, "the redelivery sent", DeliveryTimeout);
        Assert.Equal(
            [.. Enumerable.Repeat(AttemptOutcome.Retried, maxAttempts - 1), AttemptOutcome.Failed, AttemptOutcome.Sent],
            redelivered.Attempts.Select(a => a.Outcome));
        Assert.Equal(Enumerable.Range(1, maxAttempts + 1), redelivered.Attempts.Select(a => a.Attempt));
        Assert.Equal([.. Enumerable.Repeat(1, maxAttempts), 2], redelivered.Attempts.Select(a => a.Round));
        // The first round's attempts are kept as they were.
        Assert.Equal(Json(deadLetter.Attempts), Json(redelivered.Attempts.Take(maxAttempts).ToList()));
        Assert.Equal(deadLetter.IdempotencyKey, redelivered.IdempotencyKey);
        Assert.Contains($"redelivered at the request of user:{operatorUser.UserId}", redelivered.Reason, StringComparison.Ordinal);
        var test = await Eventually.Until(() => GetDeliveryAsync(asKey, testPath), d => d.Status == DeliveryStatus.Sent, "the test sent", DeliveryTimeout);

        // The same notification each time, once more after the redelivery; and the test, once.
        var notification = receiver.Received.Where(r => r.IdempotencyKey == deadLetter.IdempotencyKey).ToList();
        Assert.Equal([.. Enumerable.Repeat(500, maxAttempts), 200], notification.Select(r => r.Answered));
        Assert.All(notification, r => Assert.True(r.HasValidSignature(rule.SigningSecret)));
        var bodies = notification.Select(r => JsonSerializer.Deserialize(r.Body, AnalyticsJsonContext.Default.NotificationMessage)! with { SentAt = default }).ToList();
        Assert.All(bodies, b => Assert.Equal(Json(bodies[0]), Json(b)));
        Assert.False(bodies[0].Test);
        Assert.Single(receiver.Received, r => r.IdempotencyKey == test.IdempotencyKey);
        Assert.Equal(maxAttempts + 2, receiver.Received.Count);

        // Sent now: a second redelivery is refused and changes nothing.
        using (var refused = await asOperator.PostAsync(path + "/redeliver", content: null))
        {
            var problem = await ProblemAssert.IsAsync(refused, HttpStatusCode.Conflict);
            Assert.Contains("was sent", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(Json(redelivered), Json(await GetDeliveryAsync(asKey, path)));
        Assert.Equal(
            [("redelivery", "redelivering"), ("test", "queued")],
            await platform.QueryAsync("SELECT kind, outcome FROM notification_requests WHERE org_id = $1 ORDER BY requested_at", steps.OrgId,
                r => (r.GetString(0), r.GetString(1))));
        var audit = await AuditAsync(asKey, "?targetType=delivery&targetId=" + deadLetter.DeliveryId);
        var recorded = Assert.Single(audit);
        Assert.Equal(("delivery.redelivered", "user:" + operatorUser.UserId), (recorded.GetProperty("action").GetString(), recorded.GetProperty("actor").GetString()));
        Assert.Equal("dead_letter", recorded.GetProperty("before").GetProperty("status").GetString());
        Assert.Equal(2, recorded.GetProperty("after").GetProperty("round").GetInt32());
    }

    [Fact]
    public async Task Only_a_dead_letter_of_the_callers_own_organization_is_redelivered_and_unknown_ids_are_not_found()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        var other = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var receiver = await WebhookReceiver.StartAsync();
        await steps.CreateWebhookRuleAsync("ops", receiver.Url);
        using var api = steps.Api();
        using var otherApi = other.Api();
        using var accepted = await api.PostAsync("/v1/notification-rules/ops/test", content: null);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var path = accepted.Headers.Location!.OriginalString;
        var sent = await Eventually.Until(() => GetDeliveryAsync(api, path), d => d.Status == DeliveryStatus.Sent, "the test sent", DeliveryTimeout);

        using (var conflict = await api.PostAsync(path + "/redeliver", content: null))
        {
            var problem = await ProblemAssert.IsAsync(conflict, HttpStatusCode.Conflict);
            Assert.Contains(sent.DeliveryId, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        // Another organization's delivery and rule are as unknown to it as ids that exist nowhere.
        await ProblemAssert.IsAsync(await otherApi.PostAsync(path + "/redeliver", content: null), HttpStatusCode.NotFound);
        await ProblemAssert.IsAsync(await otherApi.GetAsync(path), HttpStatusCode.NotFound);
        await ProblemAssert.IsAsync(await otherApi.PostAsync("/v1/notification-rules/ops/test", content: null), HttpStatusCode.NotFound);
        await ProblemAssert.IsAsync(await api.PostAsync("/v1/deliveries/dlv-no-such-delivery/redeliver", content: null), HttpStatusCode.NotFound);
        var unknownRule = await ProblemAssert.IsAsync(await api.PostAsync("/v1/notification-rules/no-such-rule/test", content: null), HttpStatusCode.NotFound);
        Assert.Contains("no-such-rule", unknownRule.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Nothing of the refusals reached the notifier, the log or the audit trail.
        Assert.Equal(Json(sent), Json(await GetDeliveryAsync(api, path)));
        Assert.Equal(["test"], await platform.QueryAsync("SELECT kind FROM notification_requests WHERE org_id = $1", steps.OrgId, r => r.GetString(0)));
        Assert.Empty(await platform.QueryAsync("SELECT kind FROM notification_requests WHERE org_id = $1", other.OrgId, r => r.GetString(0)));
        Assert.Equal(["notification_rule.tested", "notification_rule.created"], (await AuditAsync(api, "")).Select(e => e.GetProperty("action").GetString()));
        Assert.Empty(await AuditAsync(otherApi, ""));
        Assert.Single(receiver.Received);
    }

    private static async Task<Delivery> GetDeliveryAsync(HttpClient api, string path)
    {
        using var response = await api.GetAsync(path);
        await ProblemAssert.SucceededAsync(response);
        return (await response.Content.ReadFromJsonAsync<Delivery>(NotificationSteps.Json))!;
    }

    private static async Task<List<JsonElement>> AuditAsync(HttpClient api, string query)
    {
        using var page = await api.GetFromJsonAsync<JsonDocument>("/v1/audit" + query);
        return [.. page!.RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone())];
    }

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, NotificationSteps.Json);
}
