using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Simulator.Scenes;
using Xunit.Abstractions;

namespace Analytics.Tests.Platform.Notifications;

/// <summary>
/// From an incident change to a notification at a real receiver, through the real AppHost:
/// signed webhooks on loopback, e-mail to a real SMTP server in the test, retries with one idempotency
/// key, silences, acknowledgements, the quota's digest and a notifier killed mid-delivery; and the
/// delivery log says what happened each time.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class NotificationDeliveryTests(PlatformFixture platform, ITestOutputHelper output)
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_theft_scene_makes_one_incident_and_one_signed_webhook_and_repeated_signals_add_neither()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var receiver = await WebhookReceiver.StartAsync();
        var rule = await steps.CreateRuleAsync("theft-hook", new { name = "Theft", channel = "webhook", url = receiver.Url, minSeverity = "medium", domains = new[] { "antitheft" } });
        var now = DateTimeOffset.UtcNow;
        // Half an hour ago: the rule services keep one event-time clock across organizations, so
        // this scene must lie before the event times other tests play, or it would age theirs.
        var start = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddMinutes(-30);
        // Ground truth: one product taken out through the exit; trackers flicker throughout.
        var scene = SimulatedScenes.Build(SimulatedScenes.Theft, steps.OrgId, camera: 1, run: 0, start);
        Assert.Equal(["product_removal"], scene.Labels.Select(l => l.Kind));
        await steps.RegisterSceneAsync(scene);

        await steps.PostObservationsAsync(scene.Observations());

        var received = await Eventually.Until(() => Task.FromResult(receiver.Received), r => r.Count > 0, "the webhook", DeliveryTimeout);
        var incident = Assert.Single(await steps.IncidentsAsync());
        Assert.Equal("product_removal", incident.Kind);
        var webhook = Assert.Single(received);
        Assert.True(webhook.HasValidSignature(rule.SigningSecret), "the signature does not verify");
        var message = JsonSerializer.Deserialize(webhook.Body, AnalyticsJsonContext.Default.NotificationMessage)!;
        Assert.Equal(DeliveryKind.Notification, message.Kind);
        Assert.Equal(IncidentEventType.Opened, message.Transition);
        Assert.Equal(incident.Id, message.Incident!.Id);
        Assert.Equal(webhook.IdempotencyKey, message.IdempotencyKey);
        Assert.Equal(message.SentAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), webhook.Timestamp);
        Assert.NotNull(webhook.TraceParent);

        // The same theft played again 90 s later at the same exit: a repeated signal, which joins
        // the incident and notifies nobody.
        var again = SimulatedScenes.Build(SimulatedScenes.Theft, steps.OrgId, camera: 1, run: 1, start.AddSeconds(90));
        await steps.PostObservationsAsync(again.Observations());
        await Eventually.Until(steps.IncidentsAsync, i => i.Sum(x => x.SignalIds.Count) >= 2, "the repeated theft signal", DeliveryTimeout);
        await steps.WaitUntilNotifierCaughtUpAsync();

        Assert.Equal(2, Assert.Single(await steps.IncidentsAsync()).SignalIds.Count);
        var delivery = Assert.Single(await steps.DeliveriesAsync());
        Assert.Equal(DeliveryStatus.Sent, delivery.Status);
        Assert.Equal(message.DeliveryId, delivery.DeliveryId);
        Assert.Equal(await steps.TraceParentOfAsync(incident.Id, 1), delivery.TraceParent);
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task A_receiver_that_fails_three_times_gets_the_same_notification_with_the_same_key_until_it_takes_it()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 3);
        var rule = await steps.CreateWebhookRuleAsync("flaky", receiver.Url);

        await steps.InsertSignalsAsync(steps.Signal("s-1", "intrusion", "vault", DateTimeOffset.UtcNow.AddMinutes(-1)));

        var delivery = (await Eventually.Until(() => steps.DeliveriesAsync(), d => d.Count == 1 && d[0].Status == DeliveryStatus.Sent, "the delivery sent", DeliveryTimeout))[0];
        Assert.Equal([500, 500, 500, 200], receiver.Received.Select(r => r.Answered));
        Assert.All(receiver.Received, r =>
        {
            Assert.Equal(delivery.IdempotencyKey, r.IdempotencyKey);
            Assert.True(r.HasValidSignature(rule.SigningSecret));
        });
        Assert.Equal([AttemptOutcome.Retried, AttemptOutcome.Retried, AttemptOutcome.Retried, AttemptOutcome.Sent], delivery.Attempts.Select(a => a.Outcome));
        Assert.Equal([500, 500, 500, 200], delivery.Attempts.Select(a => a.HttpStatus ?? 0));
        Assert.All(delivery.Attempts.Take(3), a => Assert.Contains("500", a.Error, StringComparison.Ordinal));
        // The retries back off: each waits at least half its step (0.5 s doubling, the fixture's
        // Notifier:InitialBackoffSeconds) and, give or take the machine's load, not much more than it.
        var timeline = string.Join(", ", delivery.Attempts.Select(a => $"{a.StartedAt:HH:mm:ss.fff}-{a.FinishedAt:HH:mm:ss.fff}"));
        output.WriteLine($"decided {delivery.DecidedAt:HH:mm:ss.fff}, attempts {timeline}");
        for (var i = 1; i < delivery.Attempts.Count; i++)
        {
            var step = Analytics.Notifier.Decisions.Backoff.Step(i, 0.5, 300);
            var gap = (delivery.Attempts[i].StartedAt - delivery.Attempts[i - 1].FinishedAt!.Value).TotalSeconds;
            Assert.True(gap >= step / 2 - 0.01 && gap <= step + 5, $"retry {i} came {gap:0.000} s after the failure, outside [{step / 2}, {step} + 5]: {timeline}");
        }
        // The same notification every time: only the attempt's own time differs.
        var bodies = receiver.Received.Select(r => JsonSerializer.Deserialize(r.Body, AnalyticsJsonContext.Default.NotificationMessage)! with { SentAt = default }).ToList();
        Assert.All(bodies, b => Assert.Equal(JsonSerializer.Serialize(bodies[0], AnalyticsJsonContext.Default.NotificationMessage), JsonSerializer.Serialize(b, AnalyticsJsonContext.Default.NotificationMessage)));
    }

    [Fact]
    public async Task A_receiver_that_never_takes_it_leaves_a_dead_letter_after_the_configured_attempts()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: int.MaxValue);
        await steps.CreateWebhookRuleAsync("down", receiver.Url);

        await steps.InsertSignalsAsync(steps.Signal("s-1", "intrusion", "vault", DateTimeOffset.UtcNow.AddMinutes(-1)));

        // Notifier:MaxAttempts keeps its default of 6; the fixture's backoff makes them about 16 s.
        var delivery = (await Eventually.Until(() => steps.DeliveriesAsync(), d => d.Count == 1 && d[0].Status == DeliveryStatus.DeadLetter, "the dead letter", DeliveryTimeout))[0];
        var maxAttempts = new Analytics.Notifier.NotifierSettings().MaxAttempts;
        Assert.Equal([.. Enumerable.Repeat(AttemptOutcome.Retried, maxAttempts - 1), AttemptOutcome.Failed], delivery.Attempts.Select(a => a.Outcome));
        Assert.Contains($"gave up after {maxAttempts} attempt(s)", delivery.Reason, StringComparison.Ordinal);
        Assert.Null(delivery.NextAttemptAt);
        Assert.Equal(maxAttempts, receiver.Received.Count);
        Assert.Equal([delivery.DeliveryId], (await steps.DeliveriesAsync("?status=dead_letter")).Select(d => d.DeliveryId));
    }

    [Fact]
    public async Task A_silence_suppresses_the_notification_and_the_log_names_the_silence()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var receiver = await WebhookReceiver.StartAsync();
        await steps.CreateWebhookRuleAsync("ops", receiver.Url);
        using var api = steps.Api();
        using var created = await api.PostAsJsonAsync("/v1/silences", new { zoneId = "dock", endsAt = DateTimeOffset.UtcNow.AddHours(1), comment = "maintenance" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var silence = (await created.Content.ReadFromJsonAsync<Silence>(NotificationSteps.Json))!;

        await steps.InsertSignalsAsync(steps.Signal("s-1", "intrusion", "dock", DateTimeOffset.UtcNow.AddMinutes(-1)));

        var delivery = Assert.Single(await Eventually.Until(() => steps.DeliveriesAsync(), d => d.Count > 0, "the decision", DeliveryTimeout));
        Assert.Equal(DeliveryStatus.SuppressedSilence, delivery.Status);
        Assert.Equal(silence.SilenceId, delivery.SilenceId);
        Assert.Contains(silence.SilenceId, delivery.Reason, StringComparison.Ordinal);
        Assert.Null(delivery.IdempotencyKey);
        await steps.WaitUntilNotifierCaughtUpAsync();
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public async Task Acknowledging_an_incident_stops_its_next_escalation_from_notifying()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var receiver = await WebhookReceiver.StartAsync();
        await steps.CreateWebhookRuleAsync("ops", receiver.Url);
        await steps.InsertSignalsAsync(steps.Signal("s-loiter", "loitering", "shelf-1", DateTimeOffset.UtcNow.AddMinutes(-5), 130));
        var opened = (await Eventually.Until(() => steps.DeliveriesAsync(), d => d.Count == 1 && d[0].Status == DeliveryStatus.Sent, "the first notification", DeliveryTimeout))[0];
        using (var api = steps.Api())
        using (var acknowledged = await api.PostAsJsonAsync($"/v1/incidents/{opened.IncidentId}/acknowledge", new { comment = "on it" }))
        {
            Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        }

        // Loitering and a product removal at the same shelf escalate to a high suspected theft.
        await steps.InsertSignalsAsync(steps.Signal("s-removal", "product_removal", "shelf-1", DateTimeOffset.UtcNow.AddMinutes(-2)));

        var deliveries = await Eventually.Until(() => steps.DeliveriesAsync(), d => d.Count == 2, "the escalation's decision", DeliveryTimeout);
        var escalation = deliveries.Single(d => d.DeliveryId != opened.DeliveryId);
        Assert.Equal(IncidentEventType.SeverityChanged, escalation.Transition);
        Assert.Equal(DeliveryStatus.SuppressedAcknowledged, escalation.Status);
        Assert.Equal(opened.IncidentId, escalation.IncidentId);
        await steps.WaitUntilNotifierCaughtUpAsync();
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task An_email_notification_arrives_at_a_real_smtp_server()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var smtp = await SmtpCapture.StartAsync(platform.SmtpPort);
        await steps.CreateRuleAsync("mail", new { name = "Night shift", channel = "email", recipients = new[] { "ops@example.com" }, minSeverity = "low" });

        await steps.InsertSignalsAsync(steps.Signal("s-1", "intrusion", "gate", DateTimeOffset.UtcNow.AddMinutes(-1)));

        var delivery = (await Eventually.Until(() => steps.DeliveriesAsync(), d => d.Count == 1 && d[0].Status == DeliveryStatus.Sent, "the e-mail sent", DeliveryTimeout))[0];
        var captured = Assert.Single(await Eventually.Until(() => Task.FromResult(smtp.Messages), m => m.Count > 0, "the message at the SMTP server"));
        Assert.Equal(["ops@example.com"], captured.Recipients);
        Assert.Equal("alerts@analytics.local", captured.From);
        var mail = captured.Text;
        Assert.Contains("Rule mail", mail, StringComparison.Ordinal);
        Assert.Contains("Subject: [MEDIUM] intrusion opened at site site-1, zone gate", mail, StringComparison.Ordinal);
        Assert.Contains($"<{delivery.IdempotencyKey}@notifications.analytics.local>", mail, StringComparison.Ordinal);
        Assert.Contains($"Idempotency-Key: {delivery.IdempotencyKey}", mail, StringComparison.Ordinal);
        Assert.Contains($"Incident: {delivery.IncidentId}", mail, StringComparison.Ordinal);
        Assert.Equal([AttemptOutcome.Sent], delivery.Attempts.Select(a => a.Outcome));
    }

    [Fact]
    public async Task Notifications_over_the_quota_arrive_in_one_digest_when_the_window_closes()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var receiver = await WebhookReceiver.StartAsync();
        await steps.CreateWebhookRuleAsync("burst", receiver.Url);
        // The quota counts per window of wall time; start the burst early in one so it cannot straddle two.
        var window = PlatformFixture.QuotaWindow;
        var intoWindow = TimeSpan.FromTicks((DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks % window.Ticks);
        if (window - intoWindow < window * 2 / 3)
        {
            await Task.Delay(window - intoWindow + TimeSpan.FromMilliseconds(200));
        }
        var burst = PlatformFixture.NotificationQuota + 2;

        await steps.InsertSignalsAsync([.. Enumerable.Range(0, burst).Select(i => steps.Signal($"s-{i}", "intrusion", $"zone-{i}", DateTimeOffset.UtcNow.AddMinutes(-1)))]);

        var deliveries = await Eventually.Until(() => steps.DeliveriesAsync(),
            d => d.Count == burst + 1 && d.All(x => x.Status is DeliveryStatus.Sent or DeliveryStatus.FoldedIntoDigest), "the notifications and the digest", window + DeliveryTimeout);
        var digest = Assert.Single(deliveries, d => d.Kind == DeliveryKind.Digest);
        var folded = deliveries.Where(d => d.Status == DeliveryStatus.FoldedIntoDigest).ToList();
        Assert.Equal(PlatformFixture.NotificationQuota, deliveries.Count(d => d.Kind == DeliveryKind.Notification && d.Status == DeliveryStatus.Sent));
        Assert.Equal(2, folded.Count);
        Assert.All(folded, d => Assert.Equal(digest.DeliveryId, d.DigestId));
        Assert.Equal(DeliveryStatus.Sent, digest.Status);

        Assert.Equal(PlatformFixture.NotificationQuota + 1, receiver.Received.Count);
        var digestMessage = receiver.Received.Select(r => JsonSerializer.Deserialize(r.Body, AnalyticsJsonContext.Default.NotificationMessage)!).Single(m => m.Kind == DeliveryKind.Digest);
        Assert.Equal(folded.Select(d => d.DeliveryId).Order(StringComparer.Ordinal), digestMessage.Digest!.Items.Select(i => i.DeliveryId).Order(StringComparer.Ordinal));
        Assert.Equal(digestMessage.Digest.WindowStart + window, digestMessage.Digest.WindowEnd);
        // Sent when the window closes (the signed time is whole seconds), on the dispatcher's own clock.
        Assert.InRange(digestMessage.SentAt, digestMessage.Digest.WindowEnd.AddSeconds(-1), digestMessage.Digest.WindowEnd.AddSeconds(8));
    }

    [Fact]
    public async Task A_notifier_killed_during_a_delivery_retries_it_with_the_same_key_after_restarting()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var receiver = await WebhookReceiver.StartAsync(holdFirst: 1);
        var rule = await steps.CreateWebhookRuleAsync("ops", receiver.Url);
        await steps.InsertSignalsAsync(steps.Signal("s-1", "intrusion", "vault", DateTimeOffset.UtcNow.AddMinutes(-1)));
        // The first attempt reached the receiver, which has not answered yet.
        await Eventually.Until(() => Task.FromResult(receiver.Received), r => r.Count == 1, "the first attempt", DeliveryTimeout);

        var killed = await platform.KillAsync(ResourceNames.Notifier);
        receiver.Release();
        await platform.StartAsync(ResourceNames.Notifier, killed);

        var delivery = (await Eventually.Until(() => steps.DeliveriesAsync(), d => d.Count == 1 && d[0].Status == DeliveryStatus.Sent, "the retried delivery", DeliveryTimeout))[0];
        Assert.Equal([AttemptOutcome.Interrupted, AttemptOutcome.Sent], delivery.Attempts.Select(a => a.Outcome));
        Assert.Equal(2, receiver.Received.Count);
        Assert.All(receiver.Received, r =>
        {
            Assert.Equal(delivery.IdempotencyKey, r.IdempotencyKey);
            Assert.True(r.HasValidSignature(rule.SigningSecret));
        });
        await steps.WaitUntilNotifierCaughtUpAsync();
        Assert.Single(await steps.DeliveriesAsync());
    }
}
