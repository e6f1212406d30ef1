using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;

namespace Analytics.Tests.Platform;

/// <summary>The audit trail on the real platform: changes recorded with who, what, before and after; filters; keyset pages; refusals leave no record.</summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class AuditTrailTests(PlatformFixture platform)
{
    [Fact]
    public async Task Changes_are_recorded_with_actor_before_and_after_newest_first_and_filtered()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var admin = await platform.AddAsync(orgId, "admin");
        using var asAdmin = platform.CreateClient(ResourceNames.Api, admin.AccessToken);
        using var asKey = platform.CreateClient(ResourceNames.Api, key);

        await ProblemAssert.SucceededAsync(await asAdmin.PutAsJsonAsync("/v1/sites/store-1", new { name = "Old name", timeZone = "Europe/Berlin" }));
        await ProblemAssert.SucceededAsync(await asAdmin.PutAsJsonAsync("/v1/sites/store-1", new { name = "New name", timeZone = "Europe/Berlin" }));
        await ProblemAssert.SucceededAsync(await asKey.PutAsJsonAsync("/v1/cameras/cam-1", new { siteId = "store-1", name = "Entrance" }));
        using (var refused = await asAdmin.PutAsJsonAsync("/v1/sites/store-2", new { name = "", timeZone = "Not/AZone" }))
        {
            await ProblemAssert.IsAsync(refused, HttpStatusCode.BadRequest);
        }
        using var created = await asAdmin.PostAsJsonAsync("/v1/api-keys", new { name = "Tracker", scopes = new[] { "ingest" } });
        var keyId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetProperty("keyId").GetString()!;
        await ProblemAssert.SucceededAsync(await asAdmin.DeleteAsync($"/v1/api-keys/{keyId}"));

        var all = await PageAsync(asAdmin, "");
        Assert.Equal(["api_key.revoked", "api_key.created", "camera.created", "site.replaced", "site.created"], all.Select(e => e.GetProperty("action").GetString()));
        var replaced = all[3];
        Assert.Equal("user:" + admin.UserId, replaced.GetProperty("actor").GetString());
        Assert.Equal(("site", "store-1"), (replaced.GetProperty("targetType").GetString(), replaced.GetProperty("targetId").GetString()));
        Assert.Equal("Old name", replaced.GetProperty("before").GetProperty("name").GetString());
        Assert.Equal("New name", replaced.GetProperty("after").GetProperty("name").GetString());
        Assert.False(all[4].TryGetProperty("before", out var none) && none.ValueKind != JsonValueKind.Null, "a created site had no before");
        Assert.StartsWith("api-key:", all[2].GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.String, all[0].GetProperty("after").GetProperty("revokedAt").ValueKind);
        Assert.DoesNotContain("\"secret\"", all[1].GetRawText(), StringComparison.Ordinal);

        var byKey = await PageAsync(asAdmin, "?actor=" + Uri.EscapeDataString(all[2].GetProperty("actor").GetString()!));
        Assert.Equal(["camera.created"], byKey.Select(e => e.GetProperty("action").GetString()));
        var bySite = await PageAsync(asAdmin, "?targetType=site&targetId=store-1");
        Assert.Equal(["site.replaced", "site.created"], bySite.Select(e => e.GetProperty("action").GetString()));
        var since = all[2].GetProperty("at").GetDateTimeOffset();
        var sinceCamera = await PageAsync(asAdmin, "?from=" + Uri.EscapeDataString(since.ToString("O")));
        Assert.Equal(["api_key.revoked", "api_key.created", "camera.created"], sinceCamera.Select(e => e.GetProperty("action").GetString()));
        var beforeCamera = await PageAsync(asAdmin, "?to=" + Uri.EscapeDataString(since.ToString("O")));
        Assert.Equal(["site.replaced", "site.created"], beforeCamera.Select(e => e.GetProperty("action").GetString()));

        // Pages of two, followed by their cursors, give the whole trail once, in order.
        var paged = new List<string>();
        string? cursor = null;
        do
        {
            using var page = await asAdmin.GetFromJsonAsync<JsonDocument>("/v1/audit?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            paged.AddRange(page!.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("eventId").GetString()!));
            cursor = page.RootElement.TryGetProperty("nextCursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);
        Assert.Equal(all.Select(e => e.GetProperty("eventId").GetString()), paged);
    }

    [Fact]
    public async Task Every_read_of_an_education_incident_is_recorded_and_reads_of_others_are_not()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync(educationEnabled: true);
        var viewer = await platform.AddAsync(orgId, "viewer");
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        await platform.InsertSignalsAsync(
            TestSignals.Of(orgId, "s-class", "low_engagement", "room-1", start, camera: "class-cam") with { Domain = Analytics.Schemas.Contracts.Domain.Education },
            TestSignals.Of(orgId, "s-shop", "intrusion", "vault", start, camera: "shop-cam"));
        using var api = platform.CreateClient(ResourceNames.Api, viewer.AccessToken);
        var items = await Eventually.Until(
            async () => (await api.GetFromJsonAsync<JsonDocument>("/v1/incidents"))!.RootElement.GetProperty("items").EnumerateArray().Select(i => i.Clone()).ToList(),
            list => list.Count == 2, "an education and an antitheft incident");
        var education = items.Single(i => i.GetProperty("domain").GetString() == "education").GetProperty("id").GetString()!;
        var other = items.Single(i => i.GetProperty("domain").GetString() != "education").GetProperty("id").GetString()!;

        await ProblemAssert.SucceededAsync(await api.GetAsync($"/v1/incidents/{education}"));
        await ProblemAssert.SucceededAsync(await api.GetAsync($"/v1/incidents/{other}"));

        using var audit = platform.CreateClient(ResourceNames.Api, key);
        var reads = await PageAsync(audit, "?actor=" + Uri.EscapeDataString("user:" + viewer.UserId));
        Assert.All(reads, e => Assert.Equal("education.read", e.GetProperty("action").GetString()));
        // The lists that held it (one per list call above, at least the last) and the one read of it.
        Assert.Contains(reads, e => e.GetProperty("targetType").GetString() == "incidents"
            && e.GetProperty("after").GetProperty("incidentIds").EnumerateArray().Select(id => id.GetString()).SequenceEqual([education]));
        Assert.Single(reads, e => e.GetProperty("targetType").GetString() == "incident" && e.GetProperty("targetId").GetString() == education);
        Assert.DoesNotContain(reads, e => e.GetProperty("targetId").GetString() == other);
    }

    [Fact]
    public async Task A_bad_query_is_refused_at_its_field()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var api = platform.CreateClient(ResourceNames.Api, key);
        await ProblemAssert.InvalidAtAsync(await api.GetAsync("/v1/audit?cursor=nonsense"), "$.cursor");
        await ProblemAssert.InvalidAtAsync(await api.GetAsync("/v1/audit?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"), "$.to");
    }

    private static async Task<List<JsonElement>> PageAsync(HttpClient api, string query)
    {
        using var page = await api.GetFromJsonAsync<JsonDocument>("/v1/audit" + query);
        return [.. page!.RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone())];
    }
}
