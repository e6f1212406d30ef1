using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;

namespace Analytics.Tests.Platform;

[Collection(PlatformCollectionDefinition.Name)]
public sealed class SitesApiTests(PlatformFixture platform)
{
    private static object Store(string name = "Store 17") => new { name, timeZone = "Europe/Berlin", address = "Hauptstrasse 1, Berlin" };

    [Fact]
    public async Task A_site_is_created_read_listed_replaced_and_deleted()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);

        using (var created = await client.PutAsJsonAsync("/v1/sites/store-17", Store()))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("/v1/sites/store-17", created.Headers.Location?.OriginalString);
        }
        var site = await ProblemAssert.GetAsync(client, "/v1/sites/store-17");
        Assert.Equal(orgId, site.GetProperty("orgId").GetString());
        Assert.Equal("Europe/Berlin", site.GetProperty("timeZone").GetString());
        Assert.Equal("Hauptstrasse 1, Berlin", site.GetProperty("address").GetString());
        Assert.False(site.TryGetProperty("description", out _));

        using (var replaced = await client.PutAsJsonAsync("/v1/sites/store-17", new { name = "Store 17 (new)", timeZone = "America/New_York" }))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }
        var listed = Assert.Single(await client.GetFromJsonAsync<JsonElement[]>("/v1/sites") ?? []);
        Assert.Equal("Store 17 (new)", listed.GetProperty("name").GetString());
        Assert.Equal("America/New_York", listed.GetProperty("timeZone").GetString());
        // A replacement is whole: the address it left out is gone.
        Assert.False(listed.TryGetProperty("address", out _));

        using (var deleted = await client.DeleteAsync("/v1/sites/store-17"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using var gone = await client.GetAsync("/v1/sites/store-17");
        await ProblemAssert.IsAsync(gone, HttpStatusCode.NotFound);
        using var again = await client.DeleteAsync("/v1/sites/store-17");
        await ProblemAssert.IsAsync(again, HttpStatusCode.NotFound);
    }

    public static TheoryData<string, object, string[]> BadSites => new()
    {
        { "unknown time zone", new { name = "n", timeZone = "Mars/Olympus" }, ["$.timeZone"] },
        { "Windows time zone", new { name = "n", timeZone = "W. Europe Standard Time" }, ["$.timeZone"] },
        { "blank name and address", new { name = " ", timeZone = "UTC", address = "" }, ["$.name", "$.address"] },
        { "long description", new { name = "n", timeZone = "UTC", description = new string('d', 2001) }, ["$.description"] },
    };

    [Theory]
    [MemberData(nameof(BadSites))]
    public async Task An_invalid_site_is_refused_at_its_fields_and_nothing_is_stored(string what, object site, string[] paths)
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);

        using var response = await client.PutAsJsonAsync("/v1/sites/s-1", site);

        var message = await ProblemAssert.InvalidAtAsync(response, paths);
        Assert.False(string.IsNullOrWhiteSpace(message), what);
        Assert.Empty(await client.GetFromJsonAsync<JsonElement[]>("/v1/sites") ?? []);
    }

    [Fact]
    public async Task A_site_missing_its_time_zone_is_a_400_problem_naming_it()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);

        using var response = await client.PutAsJsonAsync("/v1/sites/s-1", new { name = "n" });

        var problem = await ProblemAssert.IsAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("timeZone", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_site_with_cameras_cannot_be_deleted_until_they_are_gone()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var client = Client(key);
        await platform.AddCameraAsync(key, "store-17", "cam-entrance");
        await platform.AddCameraAsync(key, "store-17", "cam-till");

        using (var refused = await client.DeleteAsync("/v1/sites/store-17"))
        {
            var problem = await ProblemAssert.IsAsync(refused, HttpStatusCode.Conflict);
            Assert.Contains("2 cameras (cam-entrance, cam-till)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        await ProblemAssert.GetAsync(client, "/v1/sites/store-17");

        (await client.DeleteAsync("/v1/cameras/cam-entrance")).Dispose();
        (await client.DeleteAsync("/v1/cameras/cam-till")).Dispose();
        using var deleted = await client.DeleteAsync("/v1/sites/store-17");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task One_organization_never_sees_or_changes_anothers_sites()
    {
        var (_, keyA) = await platform.CreateOrganizationAsync();
        var (orgB, keyB) = await platform.CreateOrganizationAsync();
        using var a = Client(keyA);
        using var b = Client(keyB);
        (await a.PutAsJsonAsync("/v1/sites/store-17", Store("A's store"))).Dispose();

        using (var read = await b.GetAsync("/v1/sites/store-17"))
        {
            await ProblemAssert.IsAsync(read, HttpStatusCode.NotFound);
        }
        using (var delete = await b.DeleteAsync("/v1/sites/store-17"))
        {
            await ProblemAssert.IsAsync(delete, HttpStatusCode.NotFound);
        }
        Assert.Empty(await b.GetFromJsonAsync<JsonElement[]>("/v1/sites") ?? []);
        // A camera of B cannot be put at A's site: to B it does not exist.
        using (var camera = await b.PutAsJsonAsync("/v1/cameras/cam-1", new { siteId = "store-17", name = "n" }))
        {
            await ProblemAssert.InvalidAtAsync(camera, "$.siteId");
        }

        // The same id is B's own site, a different one.
        using (var own = await b.PutAsJsonAsync("/v1/sites/store-17", Store("B's store")))
        {
            Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        }
        Assert.Equal(orgB, (await ProblemAssert.GetAsync(b, "/v1/sites/store-17")).GetProperty("orgId").GetString());
        var ofA = Assert.Single(await a.GetFromJsonAsync<JsonElement[]>("/v1/sites") ?? []);
        Assert.Equal("A's store", ofA.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Without_a_key_the_sites_are_401()
    {
        using var client = platform.CreateClient(ResourceNames.Api);
        using var response = await client.GetAsync("/v1/sites");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private HttpClient Client(string key) => platform.CreateClient(ResourceNames.Api, key);
}
