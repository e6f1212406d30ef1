using System.Net;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Tests.Platform.Notifications;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Analytics.Tests.Platform.Console;

/// <summary>
/// The owners' and admins' screens in a real browser: a key made and revoked there works and then
/// does not, a notification rule made there sends its test message to a real webhook, and the
/// overview counts the organization's incidents.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class ConsoleAdministrationTests : IClassFixture<ConsoleBrowser>
{
    private readonly PlatformFixture _platform;
    private readonly ConsoleBrowser _browser;

    public ConsoleAdministrationTests(PlatformFixture platform, ConsoleBrowser browser, ITestOutputHelper output)
    {
        (_platform, _browser) = (platform, browser);
        browser.Log = output.WriteLine;
    }

    [Fact]
    public async Task A_key_made_in_the_console_shows_its_secret_once_works_until_revoked_there_and_both_are_in_the_audit_trail()
    {
        var (orgId, _) = await _platform.CreateOrganizationAsync();
        var owner = await _platform.AddAsync(orgId, OrgRoles.Owner);
        var page = await _browser.SignInAsync(_platform, owner.Email);

        await page.GetByRole(AriaRole.Link, new() { Name = "API keys" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("door camera 7");
        await page.GetByRole(AriaRole.Button, new() { Name = "Make key" }).ClickAsync();
        var secret = await page.GetByTestId("key-secret").TextContentAsync();
        Assert.False(string.IsNullOrWhiteSpace(secret));
        await ConsoleBrowser.ScreenshotAsync(page, "api-key-made");
        using (var ingest = _platform.CreateClient(ResourceNames.Ingest, secret!.Trim()))
        using (var accepted = await ingest.PostAsync("/v1/observations", TestObservations.Batch([TestObservations.Track(DateTimeOffset.UtcNow.AddSeconds(-1), "p-1", 0.1, 0.1)])))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        using (var api = _platform.CreateClient(ResourceNames.Api, secret.Trim()))
        using (var outOfScope = await api.GetAsync("/v1/sites"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, outOfScope.StatusCode);
        }

        // Shown once: after a reload the page has no secret, only the key's prefix.
        await page.ReloadAsync();
        var row = page.Locator("tr[data-key-id]").Filter(new() { HasText = "door camera 7" });
        await Expect(row).ToContainTextAsync("active");
        await Expect(page.GetByTestId("key-secret")).ToHaveCountAsync(0);
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        // At once on the API, which revoked it (ingest's key cache lets it lapse within ApiKeys:CacheSeconds).
        using (var api = _platform.CreateClient(ResourceNames.Api, secret.Trim()))
        using (var refused = await api.GetAsync("/v1/sites"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit trail" }).ClickAsync();
        var you = $"you ({owner.Email})";
        await Expect(page.Locator("tr[data-event-id]").Filter(new() { HasText = "api_key.created" })).ToContainTextAsync(you);
        await Expect(page.Locator("tr[data-event-id]").Filter(new() { HasText = "api_key.revoked" })).ToContainTextAsync(you);
        await ConsoleBrowser.ScreenshotAsync(page, "audit-trail-key-made-and-revoked");
    }

    [Fact]
    public async Task A_rule_made_in_the_console_sends_its_test_message_to_a_real_webhook_and_the_delivery_log_shows_it_sent()
    {
        var (orgId, _) = await _platform.CreateOrganizationAsync();
        var admin = await _platform.AddAsync(orgId, OrgRoles.Admin);
        await using var receiver = await WebhookReceiver.StartAsync();
        var page = await _browser.SignInAsync(_platform, admin.Email);

        await page.GetByRole(AriaRole.Link, new() { Name = "Notifications" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New rule" }).ClickAsync();
        await page.GetByLabel("Rule id").FillAsync("night-shift");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Night shift pager");
        await page.GetByLabel("URL").FillAsync(receiver.Url);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save rule" }).ClickAsync();
        var signingSecret = (await page.GetByTestId("signing-secret").TextContentAsync())!.Trim();

        await page.GetByRole(AriaRole.Link, new() { Name = "← Notifications" }).ClickAsync();
        var rule = page.Locator("tr[data-rule-id='night-shift']");
        await rule.GetByRole(AriaRole.Button, new() { Name = "Send test message" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Test message for Night shift pager");

        var received = await Eventually.Until(() => Task.FromResult(receiver.Received), r => r.Count > 0, "the test message at the webhook");
        var message = JsonDocument.Parse(received[0].Body).RootElement;
        Assert.True(message.GetProperty("test").GetBoolean());
        Assert.True(received[0].HasValidSignature(signingSecret));
        // The log shows the test's delivery as sent once the notifier recorded it.
        await Eventually.Until(async () =>
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
            return await page.Locator("tr[data-delivery-id] .status-sent").CountAsync();
        }, sent => sent > 0, "the test's delivery shown as sent");
        await ConsoleBrowser.ScreenshotAsync(page, "notification-test-sent");
    }

    [Fact]
    public async Task The_overview_counts_the_organizations_incidents_per_site_and_kind()
    {
        var (orgId, _) = await _platform.CreateOrganizationAsync();
        var now = DateTimeOffset.UtcNow;
        await _platform.InsertSignalsAsync(
            TestSignals.Of(orgId, "s-1", "intrusion", "vault-1", now.AddMinutes(-2)),
            TestSignals.Of(orgId, "s-2", "intrusion", "vault-2", now.AddMinutes(-2)),
            TestSignals.Of(orgId, "s-3", "loitering", "shelf-1", now.AddMinutes(-2)));
        await Eventually.Until(
            () => _platform.QueryAsync("SELECT incident_id FROM incidents WHERE org_id = $1", orgId, r => r.GetString(0)),
            ids => ids.Count == 3, "three incidents");
        var viewer = await _platform.AddAsync(orgId, OrgRoles.Viewer);
        var page = await _browser.SignInAsync(_platform, viewer.Email);

        await page.GetByRole(AriaRole.Link, new() { Name = "Overview" }).ClickAsync();
        await Expect(page.GetByTestId("overview-total")).ToHaveTextAsync("3");
        // One bar segment per site and kind in the hour they opened (two hours if that hour turned meanwhile).
        await Expect(page.Locator("svg.chart rect").First).ToBeVisibleAsync();
        Assert.InRange(await page.Locator("svg.chart rect").CountAsync(), 2, 4);
        await page.GetByText("The same as a table").ClickAsync();
        await Expect(page.Locator("tr[data-series='site-1/intrusion']")).ToContainTextAsync("2");
        await Expect(page.Locator("tr[data-series='site-1/loitering']")).ToContainTextAsync("1");
        await ConsoleBrowser.ScreenshotAsync(page, "overview");
    }
}
