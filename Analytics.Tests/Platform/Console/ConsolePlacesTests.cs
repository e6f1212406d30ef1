using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Analytics.Tests.Platform.Console;

/// <summary>Places in a real browser: a zone drawn by clicking and dragging over the camera's frame is the zone the API then has.</summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class ConsolePlacesTests : IClassFixture<ConsoleBrowser>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly PlatformFixture _platform;
    private readonly ConsoleBrowser _browser;

    public ConsolePlacesTests(PlatformFixture platform, ConsoleBrowser browser, ITestOutputHelper output)
    {
        (_platform, _browser) = (platform, browser);
        browser.Log = output.WriteLine;
    }

    [Fact]
    public async Task A_zone_drawn_and_dragged_in_the_browser_is_the_zone_the_API_has_and_a_refusal_shows_at_its_field()
    {
        var (orgId, key) = await _platform.CreateOrganizationAsync();
        await _platform.AddCameraAsync(key, "store-1", "cam-1");
        var admin = await _platform.AddAsync(orgId, OrgRoles.Admin);
        var page = await _browser.SignInAsync(_platform, admin.Email);

        await page.GetByRole(AriaRole.Link, new() { Name = "Places" }).ClickAsync();
        var camera = page.Locator("tr[data-camera-id='cam-1']");
        await Expect(camera).ToContainTextAsync("never");
        await camera.GetByRole(AriaRole.Link).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Draw a new zone" }).ClickAsync();

        await page.GetByLabel("Zone id", new() { Exact = true }).FillAsync("aisle-3");
        await page.GetByLabel("Kind", new() { Exact = true }).SelectOptionAsync("Restricted");
        var editor = page.GetByTestId("zone-editor");
        var box = (await editor.BoundingBoxAsync())!;
        // Two vertices are no zone: the API's refusal shows at the outline, and nothing is stored.
        await ClickAtAsync(editor, box, 0.2, 0.2);
        await ClickAtAsync(editor, box, 0.6, 0.2);
        await Expect(page.GetByTestId("vertex-count")).ToHaveTextAsync("2 vertices");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save zone" }).ClickAsync();
        await Expect(page.Locator("#outline-error")).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "zone-refused-at-outline");
        using var api = _platform.CreateClient(ResourceNames.Api, admin.AccessToken);
        Assert.Empty((await api.GetFromJsonAsync<JsonElement[]>("/v1/zones?cameraId=cam-1", Json))!);

        // The refusal's message moved the page: where the frame is now.
        box = (await editor.BoundingBoxAsync())!;
        await ClickAtAsync(editor, box, 0.6, 0.7);
        await ClickAtAsync(editor, box, 0.2, 0.7);
        await Expect(page.GetByTestId("vertex-count")).ToHaveTextAsync("4 vertices");
        // Drag the third vertex from (0.6, 0.7) to (0.8, 0.9).
        await page.Mouse.MoveAsync(At(box.X, box.Width, 0.6), At(box.Y, box.Height, 0.7));
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(At(box.X, box.Width, 0.7), At(box.Y, box.Height, 0.8), new() { Steps = 4 });
        await page.Mouse.MoveAsync(At(box.X, box.Width, 0.8), At(box.Y, box.Height, 0.9), new() { Steps = 4 });
        await page.Mouse.UpAsync();
        await Expect(page.Locator("circle[data-vertex='2']")).ToHaveAttributeAsync("aria-label", "Vertex 3 at 0.80, 0.90");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Aisle 3 stock room door");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save zone" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "saved" })).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "zone-drawn-and-saved");

        var zone = await api.GetFromJsonAsync<JsonElement>("/v1/zones/aisle-3", Json);
        Assert.Equal("Aisle 3 stock room door", zone.GetProperty("name").GetString());
        Assert.Equal("restricted", zone.GetProperty("kind").GetString());
        Assert.Equal("cam-1", zone.GetProperty("cameraId").GetString());
        var polygon = zone.GetProperty("polygon").EnumerateArray().Select(p => (X: p.GetProperty("x").GetDouble(), Y: p.GetProperty("y").GetDouble())).ToList();
        (double X, double Y)[] drawn = [(0.2, 0.2), (0.6, 0.2), (0.8, 0.9), (0.2, 0.7)];
        Assert.Equal(drawn.Length, polygon.Count);
        // A pixel of a 1366-wide page is under 0.002 of the frame.
        Assert.All(drawn.Zip(polygon), pair =>
        {
            Assert.InRange(pair.Second.X, pair.First.X - 0.005, pair.First.X + 0.005);
            Assert.InRange(pair.Second.Y, pair.First.Y - 0.005, pair.First.Y + 0.005);
        });
    }

    private static float At(float start, float length, double fraction) => start + (float)(fraction * length);

    private static Task ClickAtAsync(ILocator editor, LocatorBoundingBoxResult box, double x, double y) =>
        editor.ClickAsync(new() { Position = new Position { X = (float)(x * box.Width), Y = (float)(y * box.Height) } });
}
