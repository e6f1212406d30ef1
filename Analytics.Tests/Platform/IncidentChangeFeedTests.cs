using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Analytics.Schemas;

namespace Analytics.Tests.Platform;

/// <summary>
/// The incidents' change feed (server-sent events fed by the database's notifications) on the real
/// platform: a change reaches its organization's subscribers, within their sites, and no one else's.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class IncidentChangeFeedTests(PlatformFixture platform)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_new_incident_reaches_its_organizations_subscribers_within_their_sites_and_no_one_else()
    {
        var (orgId, _) = await platform.CreateOrganizationAsync();
        var (otherOrgId, otherKey) = await platform.CreateOrganizationAsync();
        var viewer = await platform.AddAsync(orgId, "viewer");
        var limited = await platform.AddAsync(orgId, "operator", "site-a");

        await using var everySite = await StreamAsync(viewer.AccessToken);
        await using var siteA = await StreamAsync(limited.AccessToken);
        await using var otherOrganization = await StreamAsync(otherKey);

        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        await platform.InsertSignalsAsync(TestSignals.Of(orgId, "s-b", "intrusion", "vault-b", start, camera: "cam-b") with { SiteId = "site-b" });
        var atB = await everySite.NextIncidentAsync();
        Assert.Equal("site-b", atB.GetProperty("siteId").GetString());
        Assert.Equal("open", atB.GetProperty("status").GetString());

        // Announced after site-b's, so the limited operator's first event shows site-b's was not passed to it.
        await platform.InsertSignalsAsync(TestSignals.Of(orgId, "s-a", "intrusion", "vault-a", start, camera: "cam-a") with { SiteId = "site-a" });
        var atA = await siteA.NextIncidentAsync();
        Assert.Equal("site-a", atA.GetProperty("siteId").GetString());
        Assert.NotEqual(atB.GetProperty("incidentId").GetString(), atA.GetProperty("incidentId").GetString());

        await platform.InsertSignalsAsync(TestSignals.Of(otherOrgId, "s-other", "intrusion", "vault", start));
        var other = await otherOrganization.NextIncidentAsync();
        using var api = platform.CreateClient(ResourceNames.Api, otherKey);
        using var own = await api.GetAsync($"/v1/incidents/{other.GetProperty("incidentId").GetString()}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task A_caller_without_credentials_gets_no_stream()
    {
        using var api = platform.CreateClient(ResourceNames.Api);
        using var response = await api.GetAsync("/v1/incidents/changes", HttpCompletionOption.ResponseHeadersRead);
        await ProblemAssert.IsAsync(response, HttpStatusCode.Unauthorized);
    }

    private async Task<Stream> StreamAsync(string bearer)
    {
        var client = platform.CreateClient(ResourceNames.Api, bearer);
        client.Timeout = System.Threading.Timeout.InfiniteTimeSpan;
        var response = await client.GetAsync("/v1/incidents/changes", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var stream = new Stream(client, response, SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync().GetAsyncEnumerator());
        // The subscription is live once 'ready' arrives: what happens after reaches it.
        Assert.Equal("ready", (await stream.NextAsync()).EventType);
        return stream;
    }

    private sealed class Stream(HttpClient client, HttpResponseMessage response, IAsyncEnumerator<SseItem<string>> events) : IAsyncDisposable
    {
        public async Task<SseItem<string>> NextAsync()
        {
            if (!await events.MoveNextAsync().AsTask().WaitAsync(Timeout))
            {
                throw new InvalidOperationException("The incident change feed ended");
            }
            return events.Current;
        }

        /// <summary>The next 'incident' event's data, past heartbeats.</summary>
        public async Task<JsonElement> NextIncidentAsync()
        {
            while (true)
            {
                var item = await NextAsync();
                if (item.EventType == "incident")
                {
                    return JsonDocument.Parse(item.Data).RootElement.Clone();
                }
                Assert.Equal("heartbeat", item.EventType);
            }
        }

        public async ValueTask DisposeAsync()
        {
            response.Dispose();
            client.Dispose();
            try
            {
                await events.DisposeAsync();
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The connection was closed under the reader; nothing to keep.
            }
        }
    }
}
