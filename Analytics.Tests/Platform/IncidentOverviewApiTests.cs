using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Data.Incidents;
using Analytics.Incidents;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Platform;

/// <summary>
/// The incident overview (<c>GET /v1/incidents/overview</c>) on the real platform: incidents opened
/// at known times land in their site's and kind's series in the right hour, those before the window
/// are left out, and a caller limited to a site sees only that site's series.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class IncidentOverviewApiTests(PlatformFixture platform)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Overview(DateTimeOffset From, DateTimeOffset To, int Hours, int BucketMinutes, long Total, List<Series> Series);

    private sealed record Series(string SiteId, string Kind, long Total, List<long> Counts);

    [Fact]
    public async Task Incidents_land_in_their_site_kind_and_hour_and_older_ones_are_left_out()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var (otherOrgId, _) = await platform.CreateOrganizationAsync();
        var now = DateTimeOffset.UtcNow;
        // Opened as fusion opens them (an opened event and its projection row, in one commit), at
        // times in the past that fusion, opening at its own "now", cannot give.
        (string Site, string Kind, DateTimeOffset OpenedAt)[] opened =
        [
            ("site-1", "intrusion", now.AddMinutes(-30)),
            ("site-1", "intrusion", now.AddHours(-3).AddMinutes(-10)),
            ("site-1", "intrusion", now.AddHours(-3).AddMinutes(-15)),
            ("site-2", "loitering", now.AddHours(-3).AddMinutes(-20)),
            ("site-2", "loitering", now.AddHours(-23)),
        ];
        var older = ("site-1", "intrusion", now.AddHours(-30));
        foreach (var (site, kind, at) in opened.Append(older))
        {
            await OpenAsync(orgId, site, kind, at);
        }
        await OpenAsync(otherOrgId, "site-1", "intrusion", now.AddMinutes(-30));
        // And one fusion opens now from a signal.
        await platform.InsertSignalsAsync(TestSignals.Of(orgId, "s-1", "fall", "zone-1", now.AddMinutes(-1)) with { SiteId = "site-2" });
        using var api = platform.CreateClient(ResourceNames.Api, key);
        await Eventually.Until(
            async () => (await api.GetFromJsonAsync<JsonElement>("/v1/incidents?kind=fall")).GetProperty("items").GetArrayLength(),
            count => count == 1, "fusion's incident");

        var overview = (await api.GetFromJsonAsync<Overview>("/v1/incidents/overview", Json))!;

        Assert.Equal((24, 60), (overview.Hours, overview.BucketMinutes));
        Assert.Equal(TimeSpan.FromHours(24), overview.To - overview.From);
        Assert.InRange(overview.To, now, DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(0, overview.From.Second + overview.From.Millisecond);
        Assert.All(overview.Series, s => Assert.Equal(24, s.Counts.Count));
        Assert.Equal([("site-1", "intrusion"), ("site-2", "fall"), ("site-2", "loitering")], overview.Series.Select(s => (s.SiteId, s.Kind)));
        var expected = ExpectedCounts(overview, opened);
        Assert.Equal(expected[("site-1", "intrusion")], overview.Series[0].Counts);
        Assert.Equal(expected[("site-2", "loitering")], overview.Series[2].Counts);
        // Fusion opened its incident a moment ago: the last hour.
        Assert.Equal(1, overview.Series[1].Counts[^1]);
        Assert.Equal(1, overview.Series[1].Total);
        Assert.Equal(3, overview.Series[0].Total);
        Assert.Equal(6, overview.Total);

        // A longer window reaches the older incident.
        var twoDays = (await api.GetFromJsonAsync<Overview>("/v1/incidents/overview?hours=48", Json))!;
        Assert.Equal(48, twoDays.Series[0].Counts.Count);
        Assert.Equal(4, twoDays.Series.Single(s => s.SiteId == "site-1" && s.Kind == "intrusion").Total);
        Assert.Equal(7, twoDays.Total);
    }

    [Fact]
    public async Task A_caller_limited_to_a_site_sees_only_that_sites_series()
    {
        var (orgId, _) = await platform.CreateOrganizationAsync();
        var now = DateTimeOffset.UtcNow;
        await OpenAsync(orgId, "site-a", "intrusion", now.AddHours(-2));
        await OpenAsync(orgId, "site-b", "intrusion", now.AddHours(-2));
        await OpenAsync(orgId, "site-b", "loitering", now.AddHours(-5));
        using var operatorB = platform.CreateClient(ResourceNames.Api, (await platform.AddAsync(orgId, OrgRoles.Operator, "site-b")).AccessToken);
        using var viewer = platform.CreateClient(ResourceNames.Api, (await platform.AddAsync(orgId, OrgRoles.Viewer)).AccessToken);

        var limited = (await operatorB.GetFromJsonAsync<Overview>("/v1/incidents/overview", Json))!;
        var everyone = (await viewer.GetFromJsonAsync<Overview>("/v1/incidents/overview", Json))!;

        Assert.Equal([("site-b", "intrusion"), ("site-b", "loitering")], limited.Series.Select(s => (s.SiteId, s.Kind)));
        Assert.Equal(2, limited.Total);
        Assert.Equal([("site-a", "intrusion"), ("site-b", "intrusion"), ("site-b", "loitering")], everyone.Series.Select(s => (s.SiteId, s.Kind)));
        Assert.Equal(3, everyone.Total);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("169")]
    [InlineData("-24")]
    [InlineData("a-day")]
    public async Task Hours_outside_one_to_168_are_refused_naming_hours(string hours)
    {
        var (_, key) = await platform.CreateOrganizationAsync();
        using var api = platform.CreateClient(ResourceNames.Api, key);

        using var response = await api.GetAsync($"/v1/incidents/overview?hours={hours}");

        if (int.TryParse(hours, out _))
        {
            Assert.Equal($"must be between 1 and 168, was {hours}", await ProblemAssert.InvalidAtAsync(response, "$.hours"));
        }
        else
        {
            // Not a number at all: the framework refuses to bind it, and says which parameter.
            var problem = await ProblemAssert.IsAsync(response, System.Net.HttpStatusCode.BadRequest);
            Assert.Contains("hours", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    /// <summary>Per site and kind, how many of <paramref name="opened"/> fall into each bucket of <paramref name="overview"/>, by its own from and bucket length.</summary>
    private static Dictionary<(string, string), List<long>> ExpectedCounts(Overview overview, IEnumerable<(string Site, string Kind, DateTimeOffset OpenedAt)> opened)
    {
        var expected = new Dictionary<(string, string), List<long>>();
        foreach (var (site, kind, at) in opened)
        {
            if (!expected.TryGetValue((site, kind), out var counts))
            {
                expected[(site, kind)] = counts = [.. new long[overview.Hours * 60 / overview.BucketMinutes]];
            }
            counts[(int)Math.Floor((at - overview.From).TotalMinutes / overview.BucketMinutes)]++;
        }
        return expected;
    }

    /// <summary>An incident opened at <paramref name="at"/>: its opened event and projection row, written by the store as fusion writes them.</summary>
    private async Task OpenAsync(string orgId, string siteId, string kind, DateTimeOffset at)
    {
        var incidentId = $"inc-{Guid.NewGuid():N}";
        var opened = new IncidentOpened
        {
            IncidentId = incidentId,
            OrgId = orgId,
            Version = 1,
            At = new DateTimeOffset(at.Ticks - at.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero),
            Actor = "test",
            SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
            Domain = Domain.Antitheft,
            Kind = kind,
            Severity = Severity.Medium,
            SiteId = siteId,
            GroupKey = $"{siteId}/test:{incidentId}/{kind}",
            Reason = "opened by the test",
        };
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await IncidentStore.AppendAsync(connection, [new TracedIncidentEvent(opened)], [IncidentProjection.Apply(null, opened)], CancellationToken.None);
        await transaction.CommitAsync();
    }
}
