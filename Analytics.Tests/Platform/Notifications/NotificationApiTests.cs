using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Platform.Notifications;

/// <summary>
/// Notification rules and the delivery log through the real API: scoped to the caller's
/// organization, problem+json for every refusal, keyset pages, and an answer to "why was I not
/// notified?" when no rule matched; Slack-format messages reach their receiver.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class NotificationApiTests(PlatformFixture platform)
{
    [Fact]
    public async Task Rules_are_created_with_a_secret_shown_once_replaced_rotated_deleted_and_invisible_to_other_organizations()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        var other = await NotificationSteps.ForNewOrganizationAsync(platform);
        using var api = steps.Api();
        var body = new
        {
            name = "Store managers",
            channel = "webhook",
            url = "https://hooks.example.com/analytics",
            minSeverity = "high",
            domains = new[] { "antitheft" },
            kinds = new[] { "suspected_theft" },
            quietHours = new { timeZone = "Europe/Berlin", start = "22:00:00", end = "06:00:00" },
            cooldownSeconds = 120,
        };

        var created = await steps.CreateRuleAsync("managers", body);
        Assert.StartsWith("whsec_", created.SigningSecret, StringComparison.Ordinal);
        Assert.Equal(Severity.High, created.Rule.MinSeverity);
        Assert.Equal(["suspected_theft"], created.Rule.Kinds);
        Assert.Equal(new TimeOnly(22, 0), created.Rule.QuietHours!.Start);
        Assert.True(created.Rule.Enabled);

        using (var replaced = await api.PutAsJsonAsync("/v1/notification-rules/managers", body with { name = "Regional managers" }))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
            var json = await replaced.Content.ReadFromJsonAsync<JsonElement>();
            Assert.False(json.TryGetProperty("signingSecret", out _), "a replaced rule must not show its secret again");
            Assert.Equal("Regional managers", json.GetProperty("name").GetString());
            Assert.Equal(created.Rule.CreatedAt, json.GetProperty("createdAt").GetDateTimeOffset());
        }
        var listed = await api.GetFromJsonAsync<List<NotificationRule>>("/v1/notification-rules", NotificationSteps.Json);
        Assert.Equal(["managers"], listed!.Select(r => r.RuleId));

        using (var otherApi = other.Api())
        {
            foreach (var response in new[]
            {
                await otherApi.GetAsync("/v1/notification-rules/managers"),
                await otherApi.DeleteAsync("/v1/notification-rules/managers"),
                await otherApi.PostAsync("/v1/notification-rules/managers/secret", null),
            })
            {
                using (response)
                {
                    Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                }
            }
            Assert.Empty((await otherApi.GetFromJsonAsync<List<NotificationRule>>("/v1/notification-rules", NotificationSteps.Json))!);
        }

        using (var rotated = await api.PostAsync("/v1/notification-rules/managers/secret", null))
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
            var secret = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("signingSecret").GetString();
            Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
            Assert.NotEqual(created.SigningSecret, secret);
        }

        using (var refused = await api.PutAsJsonAsync("/v1/notification-rules/broken", new
        {
            name = "Broken",
            channel = "email",
            url = "https://hooks.example.com",
            minSeverity = "high",
            quietHours = new { timeZone = "Nowhere/Zone", start = "22:00:00", end = "06:00:00" },
            cooldownSeconds = 999999,
        }))
        {
            await ProblemAssert.InvalidAtAsync(refused, "$.url", "$.recipients", "$.quietHours.timeZone", "$.cooldownSeconds");
        }
        using (var unreadable = await api.PutAsJsonAsync("/v1/notification-rules/broken", new { name = "No channel", channel = "pigeon", minSeverity = "high" }))
        {
            await ProblemAssert.IsAsync(unreadable, HttpStatusCode.BadRequest);
        }

        using (var deleted = await api.DeleteAsync("/v1/notification-rules/managers"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using (var gone = await api.GetAsync("/v1/notification-rules/managers"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        var openApi = await api.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/v1/notification-rules/{ruleId}", openApi, StringComparison.Ordinal);
        Assert.Contains("/v1/deliveries/{deliveryId}", openApi, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_delivery_log_says_why_no_rule_matched_pages_filters_and_slack_gets_its_format()
    {
        var steps = await NotificationSteps.ForNewOrganizationAsync(platform);
        await using var receiver = await WebhookReceiver.StartAsync();
        await steps.CreateRuleAsync("slack-high", new { name = "Slack", channel = "slack", url = receiver.Url, minSeverity = "high", kinds = new[] { "intrusion" } });

        await steps.InsertSignalsAsync(
            steps.Signal("s-quiet", "intrusion", "side-door", DateTimeOffset.UtcNow.AddMinutes(-2)),
            steps.Signal("s-loud", "intrusion", "vault", DateTimeOffset.UtcNow.AddMinutes(-1), severity: Severity.High));

        var deliveries = await Eventually.Until(() => steps.DeliveriesAsync(),
            d => d.Count == 2 && d.Any(x => x.Status == DeliveryStatus.Sent), "both decisions", TimeSpan.FromSeconds(90));
        var unmatched = deliveries.Single(d => d.Status == DeliveryStatus.NoMatchingRule);
        Assert.Null(unmatched.RuleId);
        Assert.Contains("rule slack-high wants severity high or above, the incident is medium", unmatched.Reason, StringComparison.Ordinal);
        var sent = deliveries.Single(d => d.Status == DeliveryStatus.Sent);
        Assert.Equal(NotificationChannel.Slack, sent.Channel);

        var slack = JsonSerializer.Deserialize<JsonElement>(Assert.Single(receiver.Received).Body);
        Assert.StartsWith("[HIGH] intrusion opened at site site-1, zone vault", slack.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(["header", "section", "context"], slack.GetProperty("blocks").EnumerateArray().Select(b => b.GetProperty("type").GetString()));

        Assert.Equal([unmatched.DeliveryId], (await steps.DeliveriesAsync("?status=no_matching_rule")).Select(d => d.DeliveryId));
        Assert.Equal([sent.DeliveryId], (await steps.DeliveriesAsync($"?incidentId={sent.IncidentId}")).Select(d => d.DeliveryId));
        using var api = steps.Api();
        var first = (await api.GetFromJsonAsync<NotificationSteps.Page>("/v1/deliveries?limit=1", NotificationSteps.Json))!;
        var second = (await api.GetFromJsonAsync<NotificationSteps.Page>($"/v1/deliveries?limit=1&cursor={first.NextCursor}", NotificationSteps.Json))!;
        Assert.Equal(deliveries.Select(d => d.DeliveryId), first.Items.Concat(second.Items).Select(d => d.DeliveryId));
        Assert.Null(second.NextCursor);

        using (var bad = await api.GetAsync("/v1/deliveries?status=lost&limit=0&cursor=nonsense"))
        {
            await ProblemAssert.InvalidAtAsync(bad, "$.status", "$.limit", "$.cursor");
        }
        var otherOrganization = await NotificationSteps.ForNewOrganizationAsync(platform);
        using var otherApi = otherOrganization.Api();
        using (var hidden = await otherApi.GetAsync($"/v1/deliveries/{sent.DeliveryId}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }
        Assert.Empty(await otherOrganization.DeliveriesAsync());
        using var one = await api.GetAsync($"/v1/deliveries/{sent.DeliveryId}");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
    }
}
