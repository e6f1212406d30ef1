using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Platform;

/// <summary>
/// The inbox tabs' counts (<c>GET /v1/incidents/counts</c>) on the real platform: incidents fusion
/// opened and operators worked, counted per status with the list's filters and site limits, so a
/// tab's number is what its list pages through.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class IncidentCountsApiTests(PlatformFixture platform)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Counts(long Open, long Acknowledged, long Resolved, long Total);

    private sealed record Page(List<Incident> Items, string? NextCursor);

    [Fact]
    public async Task Counts_per_status_equal_what_the_list_gives_for_each_status_and_filters_narrow_them()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var (otherOrgId, otherKey) = await platform.CreateOrganizationAsync();
        var start = DateTimeOffset.UtcNow.AddMinutes(-5);
        await platform.InsertSignalsAsync(
            TestSignals.Of(orgId, "s-1", "intrusion", "zone-1", start) with { SiteId = "site-1" },
            TestSignals.Of(orgId, "s-2", "intrusion", "zone-2", start) with { SiteId = "site-1" },
            TestSignals.Of(orgId, "s-3", "loitering", "zone-3", start, 130) with { SiteId = "site-2" },
            TestSignals.Of(orgId, "s-4", "intrusion", "zone-4", start, severity: Severity.High) with { SiteId = "site-2" },
            TestSignals.Of(orgId, "s-5", "intrusion", "zone-5", start, camera: "cam-2") with { SiteId = "site-1" },
            // Another organization's incidents at sites of the same names never count.
            TestSignals.Of(otherOrgId, "s-1", "intrusion", "zone-1", start) with { SiteId = "site-1" },
            TestSignals.Of(otherOrgId, "s-2", "loitering", "zone-3", start, 130) with { SiteId = "site-2" });
        using var api = platform.CreateClient(ResourceNames.Api, key);
        using var other = platform.CreateClient(ResourceNames.Api, otherKey);
        var incidents = (await Eventually.Until(() => ListAsync(api, ""), p => p.Items.Count == 5, "five incidents")).Items;
        await Eventually.Until(() => ListAsync(other, ""), p => p.Items.Count == 2, "the other organization's two incidents");
        await ActAsync(api, incidents.Single(i => i.ZoneId == "zone-1").Id, "acknowledge");
        await ActAsync(api, incidents.Single(i => i.ZoneId == "zone-3").Id, "resolve");

        Assert.Equal(new Counts(3, 1, 1, 5), await CountsMatchingTheListAsync(api, ""));
        Assert.Equal(new Counts(2, 0, 0, 2), await CountsMatchingTheListAsync(other, ""));

        Assert.Equal(new Counts(2, 1, 0, 3), await CountsMatchingTheListAsync(api, "?siteId=site-1"));
        Assert.Equal(new Counts(1, 0, 1, 2), await CountsMatchingTheListAsync(api, "?siteId=site-2"));
        Assert.Equal(new Counts(0, 0, 1, 1), await CountsMatchingTheListAsync(api, "?kind=loitering"));
        Assert.Equal(new Counts(1, 0, 0, 1), await CountsMatchingTheListAsync(api, "?minSeverity=high"));
        Assert.Equal(new Counts(1, 0, 0, 1), await CountsMatchingTheListAsync(api, "?cameraId=cam-2"));
        Assert.Equal(new Counts(0, 1, 0, 1), await CountsMatchingTheListAsync(api, "?zoneId=zone-1"));
        Assert.Equal(new Counts(3, 1, 1, 5), await CountsMatchingTheListAsync(api, "?domain=antitheft"));
        Assert.Equal(new Counts(0, 0, 0, 0), await CountsMatchingTheListAsync(api, "?domain=safety"));
        Assert.Equal(new Counts(1, 1, 0, 2), await CountsMatchingTheListAsync(api, "?siteId=site-1&kind=intrusion&cameraId=cam-1"));
        Assert.Equal(new Counts(0, 0, 0, 0), await CountsMatchingTheListAsync(api, "?siteId=no-such-site"));
    }

    [Fact]
    public async Task A_caller_limited_to_a_site_counts_only_that_sites_incidents()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var start = DateTimeOffset.UtcNow.AddMinutes(-5);
        await platform.InsertSignalsAsync(
            TestSignals.Of(orgId, "s-1", "intrusion", "zone-1", start) with { SiteId = "site-a" },
            TestSignals.Of(orgId, "s-2", "intrusion", "zone-2", start) with { SiteId = "site-a" },
            TestSignals.Of(orgId, "s-3", "intrusion", "zone-3", start) with { SiteId = "site-b" });
        using var api = platform.CreateClient(ResourceNames.Api, key);
        var incidents = (await Eventually.Until(() => ListAsync(api, ""), p => p.Items.Count == 3, "three incidents")).Items;
        await ActAsync(api, incidents.Single(i => i.ZoneId == "zone-3").Id, "acknowledge");
        using var operatorA = platform.CreateClient(ResourceNames.Api, (await platform.AddAsync(orgId, OrgRoles.Operator, "site-a")).AccessToken);
        using var viewerB = platform.CreateClient(ResourceNames.Api, (await platform.AddAsync(orgId, OrgRoles.Viewer, "site-b")).AccessToken);
        using var viewer = platform.CreateClient(ResourceNames.Api, (await platform.AddAsync(orgId, OrgRoles.Viewer)).AccessToken);

        Assert.Equal(new Counts(2, 0, 0, 2), await CountsMatchingTheListAsync(operatorA, ""));
        Assert.Equal(new Counts(0, 1, 0, 1), await CountsMatchingTheListAsync(viewerB, ""));
        Assert.Equal(new Counts(2, 1, 0, 3), await CountsMatchingTheListAsync(viewer, ""));
        // Asking for another site's incidents does not reach past the limit: none, as the list says.
        Assert.Equal(new Counts(0, 0, 0, 0), await CountsMatchingTheListAsync(operatorA, "?siteId=site-b"));
    }

    [Fact]
    public async Task A_filter_the_list_refuses_is_refused_by_the_counts_with_the_same_problem()
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var api = platform.CreateClient(ResourceNames.Api, key);

        using var counts = await api.GetAsync("/v1/incidents/counts?domain=weather&minSeverity=extreme");
        using var list = await api.GetAsync("/v1/incidents?domain=weather&minSeverity=extreme");

        await ProblemAssert.InvalidAtAsync(counts, "$.domain", "$.minSeverity");
        var countsProblem = await counts.Content.ReadFromJsonAsync<JsonElement>();
        var listProblem = await list.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ProblemAssert.Errors(listProblem).Select(e => (e.Path, string.Join('|', e.Messages))),
            ProblemAssert.Errors(countsProblem).Select(e => (e.Path, string.Join('|', e.Messages))));
        Assert.Contains("must be one of antitheft", ProblemAssert.Errors(countsProblem)[0].Messages[0], StringComparison.Ordinal);
    }

    /// <summary>
    /// The counts for <paramref name="query"/>, after checking each against the list with the same
    /// query and that status (one page of at most 500 holds them all here).
    /// </summary>
    private static async Task<Counts> CountsMatchingTheListAsync(HttpClient api, string query)
    {
        var counts = (await api.GetFromJsonAsync<Counts>("/v1/incidents/counts" + query, Json))!;
        var separator = query.Length == 0 ? "?" : "&";
        foreach (var (status, count) in new[] { ("open", counts.Open), ("acknowledged", counts.Acknowledged), ("resolved", counts.Resolved) })
        {
            var page = await ListAsync(api, $"{query}{separator}status={status}&limit=500");
            Assert.Null(page.NextCursor);
            Assert.True(page.Items.Count == count, $"{query} {status}: counted {count}, the list has {page.Items.Count}");
        }
        Assert.Equal(counts.Open + counts.Acknowledged + counts.Resolved, counts.Total);
        Assert.Equal((await ListAsync(api, $"{query}{separator}limit=500")).Items.Count, counts.Total);
        return counts;
    }

    private static async Task ActAsync(HttpClient api, string incidentId, string action)
    {
        using var response = await api.PostAsJsonAsync($"/v1/incidents/{incidentId}/{action}", new { });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<Page> ListAsync(HttpClient api, string query) =>
        (await api.GetFromJsonAsync<Page>("/v1/incidents" + query, Json))!;
}
