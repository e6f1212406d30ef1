using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Analytics.Tests.Platform.Console;

/// <summary>
/// The operators' console in a real browser on the real platform: an incident made from
/// observations posted to ingest appears in the inbox without a reload, and what the operator does
/// with it in the browser is in the API's record under their name.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class ConsoleInboxTests : IClassFixture<ConsoleBrowser>
{
    private readonly PlatformFixture platform;
    private readonly ConsoleBrowser browser;
    private readonly ITestOutputHelper output;

    public ConsoleInboxTests(PlatformFixture platform, ConsoleBrowser browser, ITestOutputHelper output)
    {
        (this.platform, this.browser, this.output) = (platform, browser, output);
        browser.Log = output.WriteLine;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task An_incident_from_ingest_appears_live_and_the_operators_acknowledgement_comment_and_silence_are_recorded_as_theirs()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        await AddShelfZoneAsync(key);
        var operatorUser = await platform.AddAsync(orgId, OrgRoles.Operator);
        var page = await browser.SignInAsync(platform, operatorUser.Email);
        await Expect(page.GetByTestId("count-open")).ToHaveTextAsync("0");

        // p-1 stands at the shelf for 130 s (over the 120 s loitering threshold): one incident.
        await PostLoiteringSceneAsync(key);
        using var api = platform.CreateClient(ResourceNames.Api, operatorUser.AccessToken);
        var listed = Stopwatch.StartNew();
        var incidentId = (await Eventually.Until(() => OpenIncidentIdsAsync(api), ids => ids.Count > 0, "the incident in the API")).Single();
        listed.Restart();
        var row = page.Locator($"tr[data-incident-id='{incidentId}']");
        await Expect(row).ToBeVisibleAsync();
        output.WriteLine($"live: the incident's row was visible {listed.ElapsedMilliseconds} ms after the API first listed it (polled every 100 ms)");
        await Expect(page.GetByTestId("count-open")).ToHaveTextAsync("1");
        await ConsoleBrowser.ScreenshotAsync(page, "inbox-live-incident");

        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Loitering", Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator("article.signal")).ToHaveCountAsync(1);
        // p-1's box as posted, (0.2, 0.3) 0.1 × 0.4, in the frame's 1600 × 900 drawing units; its
        // first and last box of the stretch are the same place.
        var boxes = page.Locator("article.signal rect.box");
        await Expect(boxes).ToHaveCountAsync(2);
        foreach (var box in await boxes.AllAsync())
        {
            string[] drawn = [.. await Task.WhenAll(new[] { "x", "y", "width", "height" }.Select(async name => await box.GetAttributeAsync(name) ?? ""))];
            Assert.Equal(["320", "270", "160", "360"], drawn);
        }
        await page.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Expect(page.GetByTestId("incident-status")).ToHaveTextAsync("acknowledged");
        await page.GetByLabel("Comment", new() { Exact = true }).FillAsync("Store detective on the way.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add comment" }).ClickAsync();
        await Expect(page.Locator(".timeline .note").Filter(new() { HasText = "Store detective on the way." })).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "incident-acknowledged-and-commented");

        var history = (await api.GetFromJsonAsync<JsonElement>($"/v1/incidents/{incidentId}", Json)).GetProperty("history").EnumerateArray().ToList();
        var actor = $"user:{operatorUser.UserId}";
        Assert.Contains(history, e => e.GetProperty("type").GetString() == "acknowledged" && e.GetProperty("actor").GetString() == actor);
        Assert.Contains(history, e => e.GetProperty("type").GetString() == "comment" && e.GetProperty("actor").GetString() == actor
            && e.GetProperty("comment").GetString() == "Store detective on the way.");

        await page.GetByRole(AriaRole.Link, new() { Name = "Silence incidents like this" }).ClickAsync();
        await Expect(page.GetByLabel("Kind", new() { Exact = true })).ToHaveValueAsync("loitering");
        await Expect(page.GetByLabel("Site", new() { Exact = true })).ToHaveValueAsync(Site);
        await Expect(page.GetByLabel("Camera", new() { Exact = true })).ToHaveValueAsync(Camera);
        await Expect(page.GetByLabel("Zone", new() { Exact = true })).ToHaveValueAsync(Zone);
        await page.GetByLabel("Why", new() { Exact = true }).FillAsync("Shelf restocking all afternoon.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create silence" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "is active until" })).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "silence-created-from-incident");

        var silence = Assert.Single((await api.GetFromJsonAsync<JsonElement[]>("/v1/silences", Json))!);
        Assert.Equal(actor, silence.GetProperty("createdBy").GetString());
        Assert.Equal("loitering", silence.GetProperty("kind").GetString());
        Assert.Equal(Zone, silence.GetProperty("zoneId").GetString());
        Assert.Equal("Shelf restocking all afternoon.", silence.GetProperty("comment").GetString());
    }

    [Fact]
    public async Task At_tablet_width_an_operator_selects_two_incidents_by_keyboard_and_acknowledges_both_at_once()
    {
        var (orgId, _) = await platform.CreateOrganizationAsync();
        var first = await OpenIncidentAsync(orgId);
        await platform.InsertSignalsAsync(TestSignals.Of(orgId, $"s-{Guid.NewGuid():N}", "intrusion", "vault-2", DateTimeOffset.UtcNow.AddMinutes(-1)));
        var ids = await Eventually.Until(
            () => platform.QueryAsync("SELECT incident_id FROM incidents WHERE org_id = $1", orgId, r => r.GetString(0)),
            found => found.Count == 2, "two incidents");
        var operatorUser = await platform.AddAsync(orgId, OrgRoles.Operator);
        var page = await browser.SignInAsync(platform, operatorUser.Email, width: 820, height: 1180);
        await Expect(page.Locator("tr[data-incident-id]")).ToHaveCountAsync(2);

        // Only the keyboard from here: focus each row's checkbox, Space ticks it, then the bulk button.
        foreach (var id in ids)
        {
            await page.Locator($"tr[data-incident-id='{id}'] input[type=checkbox]").FocusAsync();
            await page.Keyboard.PressAsync("Space");
        }
        var acknowledge = page.GetByRole(AriaRole.Button, new() { Name = "Acknowledge selected (2)" });
        await acknowledge.FocusAsync();
        await Expect(acknowledge).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Acknowledged 2." })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("count-acknowledged")).ToHaveTextAsync("2");
        await Expect(page.Locator("tr[data-incident-id]")).ToHaveCountAsync(0);
        // The navigation sits above the content at this width, and nothing is wider than the screen.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await ConsoleBrowser.ScreenshotAsync(page, "tablet-bulk-acknowledged");

        using var api = platform.CreateClient(ResourceNames.Api, operatorUser.AccessToken);
        foreach (var id in ids.Append(first).Distinct())
        {
            var incident = (await api.GetFromJsonAsync<JsonElement>($"/v1/incidents/{id}", Json)).GetProperty("incident");
            Assert.Equal("acknowledged", incident.GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task A_viewer_sees_the_incident_but_no_action_and_the_API_refuses_one()
    {
        var (orgId, _) = await platform.CreateOrganizationAsync();
        var incidentId = await OpenIncidentAsync(orgId);
        var viewer = await platform.AddAsync(orgId, OrgRoles.Viewer);
        var page = await browser.SignInAsync(platform, viewer.Email);

        await Expect(page.Locator($"tr[data-incident-id='{incidentId}']")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Checkbox)).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Acknowledge selected" })).ToHaveCountAsync(0);
        await page.Locator($"tr[data-incident-id='{incidentId}']").GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.GetByTestId("incident-status")).ToHaveTextAsync("open");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Resolve" })).ToHaveCountAsync(0);
        await Expect(page.GetByLabel("Comment", new() { Exact = true })).ToHaveCountAsync(0);
        await ConsoleBrowser.ScreenshotAsync(page, "viewer-incident-without-actions");

        using var api = platform.CreateClient(ResourceNames.Api, viewer.AccessToken);
        using var refused = await api.PostAsJsonAsync($"/v1/incidents/{incidentId}/acknowledge", new { });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task A_person_of_another_organization_sees_none_of_it()
    {
        var (orgId, _) = await platform.CreateOrganizationAsync();
        var incidentId = await OpenIncidentAsync(orgId);
        var (otherOrgId, _) = await platform.CreateOrganizationAsync();
        var stranger = await platform.AddAsync(otherOrgId, OrgRoles.Owner);
        var page = await browser.SignInAsync(platform, stranger.Email);

        await Expect(page.GetByTestId("count-open")).ToHaveTextAsync("0");
        await Expect(page.Locator("tr[data-incident-id]")).ToHaveCountAsync(0);
        await page.GotoAsync($"incidents/{incidentId}");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("No such incident");
        await ConsoleBrowser.ScreenshotAsync(page, "other-organization-incident-not-found");
    }

    [Fact]
    public async Task Sign_in_with_a_wrong_password_says_so_and_a_page_asked_for_before_sign_in_comes_after_it()
    {
        var (orgId, _) = await platform.CreateOrganizationAsync();
        var owner = await platform.AddAsync(orgId, OrgRoles.Owner);
        var page = await browser.OpenAsync(platform);

        await page.GotoAsync("silences");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.GetByLabel("E-mail").FillAsync(owner.Email);
        await page.GetByLabel("Password").FillAsync("not-the-password-at-all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Invalid");
        await ConsoleBrowser.ScreenshotAsync(page, "sign-in-refused");

        await page.GetByLabel("Password").FillAsync(TestUsers.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Silences", Exact = true })).ToBeVisibleAsync();
    }

    private const string Site = "store-1";
    private const string Camera = "cam-1";
    private const string Zone = "shelf-1";

    private async Task AddShelfZoneAsync(string key)
    {
        await platform.AddCameraAsync(key, Site, Camera);
        using var client = platform.CreateClient(ResourceNames.Api, key);
        using var response = await client.PutAsJsonAsync($"/v1/zones/{Zone}", new
        {
            siteId = Site, cameraId = Camera, name = "Shelf 1", kind = "shelf",
            polygon = new[] { new { x = 0.0, y = 0.0 }, new { x = 0.5, y = 0.0 }, new { x = 0.5, y = 1.0 }, new { x = 0.0, y = 1.0 } },
        });
        await ProblemAssert.SucceededAsync(response);
    }

    private async Task PostLoiteringSceneAsync(string key)
    {
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddMinutes(-4);
        var frames = new List<string>();
        for (var t = 0.0; t <= 130; t += 0.5)
        {
            frames.Add(TestObservations.Track(start.AddSeconds(t), "p-1", 0.2, 0.3, Site, Camera));
        }
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);
        using var response = await ingest.PostAsync("/v1/observations", TestObservations.Batch(frames));
        await ProblemAssert.SucceededAsync(response);
    }

    /// <summary>An open incident of the organization, from a signal put straight where fusion reads it.</summary>
    private async Task<string> OpenIncidentAsync(string orgId)
    {
        await platform.InsertSignalsAsync(TestSignals.Of(orgId, $"s-{Guid.NewGuid():N}", "intrusion", "vault", DateTimeOffset.UtcNow.AddMinutes(-1)));
        var ids = await Eventually.Until(
            () => platform.QueryAsync("SELECT incident_id FROM incidents WHERE org_id = $1", orgId, r => r.GetString(0)),
            found => found.Count > 0, "the incident");
        return ids.Single();
    }

    private static async Task<List<string>> OpenIncidentIdsAsync(HttpClient api) =>
        [.. (await api.GetFromJsonAsync<JsonElement>("/v1/incidents?status=open", Json)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];
}
