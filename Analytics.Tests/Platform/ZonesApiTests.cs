using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;

namespace Analytics.Tests.Platform;

[Collection(PlatformCollectionDefinition.Name)]
public sealed class ZonesApiTests(PlatformFixture platform)
{
    private static object Shelf(string camera = "cam-1") => new
    {
        siteId = "store-1",
        cameraId = camera,
        name = "Spirits shelf",
        kind = "shelf",
        polygon = new[] { new { x = 0.1, y = 0.1 }, new { x = 0.4, y = 0.1 }, new { x = 0.4, y = 0.6 }, new { x = 0.1, y = 0.6 } },
    };

    [Fact]
    public async Task A_zone_is_created_read_listed_replaced_and_deleted()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        await platform.AddCameraAsync(key, "store-1", "cam-1");
        await platform.AddCameraAsync(key, "store-1", "cam-2");

        using (var created = await client.PutAsJsonAsync("/v1/zones/shelf-1", Shelf()))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("/v1/zones/shelf-1", created.Headers.Location?.OriginalString);
        }
        var zone = await client.GetFromJsonAsync<JsonElement>("/v1/zones/shelf-1");
        Assert.Equal("shelf", zone.GetProperty("kind").GetString());
        Assert.Equal(4, zone.GetProperty("polygon").GetArrayLength());

        using (var replaced = await client.PutAsJsonAsync("/v1/zones/shelf-1", Shelf(camera: "cam-2")))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }
        Assert.Empty(await client.GetFromJsonAsync<JsonElement[]>("/v1/zones?cameraId=cam-1") ?? []);
        Assert.Single(await client.GetFromJsonAsync<JsonElement[]>("/v1/zones?cameraId=cam-2") ?? []);

        using (var deleted = await client.DeleteAsync("/v1/zones/shelf-1"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using var gone = await client.GetAsync("/v1/zones/shelf-1");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
    }

    public static TheoryData<string, object> BadZones => new()
    {
        { "self-intersecting", new { siteId = "s", cameraId = "c", name = "n", kind = "shelf", polygon = new[] { new { x = 0.1, y = 0.1 }, new { x = 0.5, y = 0.5 }, new { x = 0.5, y = 0.1 }, new { x = 0.1, y = 0.5 } } } },
        { "outside the frame", new { siteId = "s", cameraId = "c", name = "n", kind = "shelf", polygon = new[] { new { x = 0.1, y = 0.1 }, new { x = 1.5, y = 0.1 }, new { x = 0.5, y = 0.6 } } } },
        { "two points", new { siteId = "s", cameraId = "c", name = "n", kind = "exit", polygon = new[] { new { x = 0.1, y = 0.1 }, new { x = 0.5, y = 0.1 } } } },
        { "unknown time zone", new { siteId = "s", cameraId = "c", name = "n", kind = "restricted", polygon = new[] { new { x = 0.1, y = 0.1 }, new { x = 0.5, y = 0.1 }, new { x = 0.5, y = 0.6 } }, schedule = new { timeZone = "Mars/Olympus", start = "08:00:00", end = "18:00:00" } } },
    };

    [Theory]
    [MemberData(nameof(BadZones))]
    public async Task An_impossible_zone_is_refused_and_nothing_is_stored(string what, object zone)
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        // The camera exists, so only the zone's own defect can refuse it.
        await platform.AddCameraAsync(key, "s", "c");

        using var response = await client.PutAsJsonAsync("/v1/zones/z-1", zone);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var stored = await client.GetAsync("/v1/zones/z-1");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }

    [Fact]
    public async Task One_organization_never_sees_or_changes_anothers_zones()
    {
        var (_, keyA) = await platform.CreateOrganizationAsync();
        var (_, keyB) = await platform.CreateOrganizationAsync();
        using var a = Client(keyA);
        using var b = Client(keyB);
        await platform.AddCameraAsync(keyA, "store-1", "cam-1");
        (await a.PutAsJsonAsync("/v1/zones/shelf-1", Shelf())).Dispose();

        using var read = await b.GetAsync("/v1/zones/shelf-1");
        using var delete = await b.DeleteAsync("/v1/zones/shelf-1");

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Empty(await b.GetFromJsonAsync<JsonElement[]>("/v1/zones") ?? []);
        Assert.Single(await a.GetFromJsonAsync<JsonElement[]>("/v1/zones") ?? []);
    }

    [Fact]
    public async Task A_zone_on_a_camera_that_does_not_exist_is_refused_naming_the_camera()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        await platform.AddCameraAsync(key, "store-1", "cam-1");

        using var response = await client.PutAsJsonAsync("/v1/zones/shelf-1", Shelf(camera: "cam-9"));

        var message = await ProblemAssert.InvalidAtAsync(response, "$.cameraId");
        Assert.Contains("cam-9", message, StringComparison.Ordinal);
        Assert.Empty(await client.GetFromJsonAsync<JsonElement[]>("/v1/zones") ?? []);
    }

    [Fact]
    public async Task A_zone_naming_another_site_than_its_cameras_is_refused_naming_the_site()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        await platform.AddCameraAsync(key, "store-2", "cam-1");

        using var response = await client.PutAsJsonAsync("/v1/zones/shelf-1", Shelf());

        var message = await ProblemAssert.InvalidAtAsync(response, "$.siteId");
        Assert.Contains("'store-2'", message, StringComparison.Ordinal);
        Assert.Empty(await client.GetFromJsonAsync<JsonElement[]>("/v1/zones") ?? []);
    }

    [Fact]
    public async Task A_zone_missing_a_field_is_a_400_problem_naming_it()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);

        using var response = await client.PutAsJsonAsync("/v1/zones/z-1", new { siteId = "s", name = "n", kind = "shelf", polygon = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("cameraId", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zone_keeps_the_rules_and_thresholds_it_lists_and_an_unknown_rule_is_refused_naming_the_known_ones()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        await platform.AddCameraAsync(key, "store-1", "cam-1");
        var polygon = new[] { new { x = 0.1, y = 0.1 }, new { x = 0.4, y = 0.1 }, new { x = 0.4, y = 0.6 } };

        using (var created = await client.PutAsJsonAsync("/v1/zones/hall", new
        {
            siteId = "store-1", cameraId = "cam-1", name = "Hall", kind = "workArea", polygon,
            rules = new[] { "crowding", "loitering" }, thresholds = new { crowdingCount = 20, loiteringSeconds = 600 },
        }))
        {
            await ProblemAssert.SucceededAsync(created);
        }
        var zone = await client.GetFromJsonAsync<JsonElement>("/v1/zones/hall");
        Assert.Equal(["crowding", "loitering"], zone.GetProperty("rules").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(20, zone.GetProperty("thresholds").GetProperty("crowdingCount").GetInt32());

        using var refused = await client.PutAsJsonAsync("/v1/zones/hall", new
        {
            siteId = "store-1", cameraId = "cam-1", name = "Hall", kind = "workArea", polygon, rules = new[] { "crowding", "loiter" },
        });

        var message = await ProblemAssert.InvalidAtAsync(refused, "$.rules[1]");
        Assert.Equal("must be one of the zone rules loitering, intrusion, product_removal, crowding, missing_ppe, low_engagement, distress, was 'loiter'", message);
        var unchanged = await client.GetFromJsonAsync<JsonElement>("/v1/zones/hall");
        Assert.Equal(2, unchanged.GetProperty("rules").GetArrayLength());

        using var badThreshold = await client.PutAsJsonAsync("/v1/zones/hall", new
        {
            siteId = "store-1", cameraId = "cam-1", name = "Hall", kind = "workArea", polygon, thresholds = new { crowdingCount = 1 },
        });
        Assert.Contains("between 2 and 1000", await ProblemAssert.InvalidAtAsync(badThreshold, "$.thresholds.crowdingCount"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_key_the_zones_are_401()
    {
        using var client = platform.CreateClient(ResourceNames.Api);
        using var response = await client.GetAsync("/v1/zones");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private HttpClient Client(string key) => platform.CreateClient(ResourceNames.Api, key);
}
