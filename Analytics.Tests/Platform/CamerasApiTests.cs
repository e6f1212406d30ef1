using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;

namespace Analytics.Tests.Platform;

[Collection(PlatformCollectionDefinition.Name)]
public sealed class CamerasApiTests(PlatformFixture platform)
{
    private static readonly object[] Square = [new { x = 0.1, y = 0.1 }, new { x = 0.4, y = 0.1 }, new { x = 0.4, y = 0.6 }, new { x = 0.1, y = 0.6 }];

    [Fact]
    public async Task A_camera_is_created_read_listed_by_site_replaced_and_deleted()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        await AddSiteAsync(client, "store-1");
        await AddSiteAsync(client, "store-2");

        using (var created = await client.PutAsJsonAsync("/v1/cameras/cam-1", new { siteId = "store-1", name = "Entrance", offlineAfterSeconds = 600 }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("/v1/cameras/cam-1", created.Headers.Location?.OriginalString);
        }
        (await client.PutAsJsonAsync("/v1/cameras/cam-2", new { siteId = "store-2", name = "Till", description = "Over the till" })).Dispose();

        var camera = await ProblemAssert.GetAsync(client, "/v1/cameras/cam-1");
        Assert.Equal(orgId, camera.GetProperty("orgId").GetString());
        Assert.Equal("store-1", camera.GetProperty("siteId").GetString());
        Assert.Equal(600, camera.GetProperty("offlineAfterSeconds").GetInt32());
        Assert.Equal(["cam-1", "cam-2"], Ids(await client.GetFromJsonAsync<JsonElement[]>("/v1/cameras")));
        Assert.Equal(["cam-2"], Ids(await client.GetFromJsonAsync<JsonElement[]>("/v1/cameras?siteId=store-2")));
        Assert.Empty(await client.GetFromJsonAsync<JsonElement[]>("/v1/cameras?siteId=no-such-site") ?? []);

        using (var replaced = await client.PutAsJsonAsync("/v1/cameras/cam-1", new { siteId = "store-2", name = "Entrance" }))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }
        Assert.Equal(["cam-1", "cam-2"], Ids(await client.GetFromJsonAsync<JsonElement[]>("/v1/cameras?siteId=store-2")));
        Assert.False((await ProblemAssert.GetAsync(client, "/v1/cameras/cam-1")).TryGetProperty("offlineAfterSeconds", out _));

        using (var deleted = await client.DeleteAsync("/v1/cameras/cam-1"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using var gone = await client.GetAsync("/v1/cameras/cam-1");
        await ProblemAssert.IsAsync(gone, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_camera_at_a_site_that_does_not_exist_is_refused_naming_the_site()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);

        using var response = await client.PutAsJsonAsync("/v1/cameras/cam-1", new { siteId = "store-9", name = "Entrance" });

        var message = await ProblemAssert.InvalidAtAsync(response, "$.siteId");
        Assert.Contains("store-9", message, StringComparison.Ordinal);
        Assert.Empty(await client.GetFromJsonAsync<JsonElement[]>("/v1/cameras") ?? []);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(86401)]
    public async Task An_offline_threshold_out_of_range_is_refused(int seconds)
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        await AddSiteAsync(client, "store-1");

        using var response = await client.PutAsJsonAsync("/v1/cameras/cam-1", new { siteId = "store-1", name = "n", offlineAfterSeconds = seconds });

        await ProblemAssert.InvalidAtAsync(response, "$.offlineAfterSeconds");
        using var stored = await client.GetAsync("/v1/cameras/cam-1");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }

    [Fact]
    public async Task A_camera_with_zones_cannot_be_deleted_until_they_are_gone()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        await platform.AddCameraAsync(key, "store-1", "cam-1");
        await PutZoneAsync(client, "shelf-1", "store-1", "cam-1");

        using (var refused = await client.DeleteAsync("/v1/cameras/cam-1"))
        {
            var problem = await ProblemAssert.IsAsync(refused, HttpStatusCode.Conflict);
            Assert.Contains("1 zone (shelf-1)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        await ProblemAssert.GetAsync(client, "/v1/cameras/cam-1");

        (await client.DeleteAsync("/v1/zones/shelf-1")).Dispose();
        using var deleted = await client.DeleteAsync("/v1/cameras/cam-1");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task Moving_a_camera_to_another_site_moves_its_zones()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        await platform.AddCameraAsync(key, "store-1", "cam-1");
        await AddSiteAsync(client, "store-2");
        await PutZoneAsync(client, "shelf-1", "store-1", "cam-1");

        using (var moved = await client.PutAsJsonAsync("/v1/cameras/cam-1", new { siteId = "store-2", name = "cam-1" }))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }

        Assert.Equal("store-2", (await ProblemAssert.GetAsync(client, "/v1/zones/shelf-1")).GetProperty("siteId").GetString());
        Assert.Equal(["shelf-1"], (await client.GetFromJsonAsync<JsonElement[]>("/v1/zones?siteId=store-2") ?? []).Select(z => z.GetProperty("zoneId").GetString()));
        Assert.Empty(await client.GetFromJsonAsync<JsonElement[]>("/v1/zones?siteId=store-1") ?? []);
        // The old site is free of cameras now.
        using var deleted = await client.DeleteAsync("/v1/sites/store-1");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task One_organization_never_sees_or_changes_anothers_cameras()
    {
        var (_, keyA) = await platform.CreateOrganizationAsync();
        var (_, keyB) = await platform.CreateOrganizationAsync();
        using var a = Client(keyA);
        using var b = Client(keyB);
        await platform.AddCameraAsync(keyA, "store-1", "cam-1");

        using (var read = await b.GetAsync("/v1/cameras/cam-1"))
        {
            await ProblemAssert.IsAsync(read, HttpStatusCode.NotFound);
        }
        using (var delete = await b.DeleteAsync("/v1/cameras/cam-1"))
        {
            await ProblemAssert.IsAsync(delete, HttpStatusCode.NotFound);
        }
        Assert.Empty(await b.GetFromJsonAsync<JsonElement[]>("/v1/cameras") ?? []);
        Assert.Empty(await b.GetFromJsonAsync<JsonElement[]>("/v1/cameras?siteId=store-1") ?? []);
        // Nor can B draw a zone in A's camera.
        using (var zone = await b.PutAsJsonAsync("/v1/zones/shelf-1", Zone("store-1", "cam-1")))
        {
            await ProblemAssert.InvalidAtAsync(zone, "$.cameraId");
        }

        Assert.Equal("store-1", (await ProblemAssert.GetAsync(a, "/v1/cameras/cam-1")).GetProperty("siteId").GetString());
        Assert.Empty(await a.GetFromJsonAsync<JsonElement[]>("/v1/zones") ?? []);
    }

    [Fact]
    public async Task Without_a_key_the_cameras_are_401()
    {
        using var client = platform.CreateClient(ResourceNames.Api);
        using var response = await client.GetAsync("/v1/cameras");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static object Zone(string siteId, string cameraId) => new { siteId, cameraId, name = "Shelf", kind = "shelf", polygon = Square };

    private static async Task PutZoneAsync(HttpClient client, string zoneId, string siteId, string cameraId)
    {
        using var response = await client.PutAsJsonAsync($"/v1/zones/{zoneId}", Zone(siteId, cameraId));
        await ProblemAssert.SucceededAsync(response);
    }

    private static async Task AddSiteAsync(HttpClient client, string siteId)
    {
        using var response = await client.PutAsJsonAsync($"/v1/sites/{siteId}", new { name = siteId, timeZone = "Europe/London" });
        await ProblemAssert.SucceededAsync(response);
    }

    private static IEnumerable<string?> Ids(JsonElement[]? cameras) => (cameras ?? []).Select(c => c.GetProperty("cameraId").GetString());

    private HttpClient Client(string key) => platform.CreateClient(ResourceNames.Api, key);
}
