using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Fusion.Incidents;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Tests.Platform;

/// <summary>
/// The wall-clock side of fusion against the real database: quiet incidents resolve, a camera
/// that stops sending opens a camera-offline incident and marks its open incidents, and sending
/// again resolves it. The housekeeping runs here with a chosen "now", beside the fusion service's
/// own, so the two also show they do not duplicate each other's work.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class IncidentHousekeepingTests(PlatformFixture platform)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Page(List<Incident> Items, string? NextCursor);

    private sealed record Detail(Incident Incident, string? Resolution, string? Annotation);

    [Fact]
    public async Task A_silent_camera_opens_one_offline_incident_annotates_its_open_incidents_and_resolves_when_it_sends_again()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        await platform.AddCameraAsync(key, "site-1", "cam-1");
        await platform.AddCameraAsync(key, "site-1", "cam-2");
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);
        using var api = platform.CreateClient(ResourceNames.Api, key);
        await PostObservationAsync(ingest, "cam-1");
        await PostObservationAsync(ingest, "cam-2");
        await InsertSignalAsync(orgId, "cam-1");
        var intrusion = (await Eventually.Until(() => ListAsync(api), p => p.Items.Count == 1, "the intrusion incident")).Items[0];

        // An hour without observations from cam-1; cam-2 keeps sending.
        await ExecuteAsync("UPDATE camera_activity SET last_seen_at = now() - interval '1 hour' WHERE org_id = $1 AND camera_id = 'cam-1'", orgId);
        var housekeeping = Housekeeping(await platform.CreateDataSourceAsync());
        await housekeeping.WatchCamerasAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        await housekeeping.WatchCamerasAsync(DateTimeOffset.UtcNow, CancellationToken.None);

        var page = await ListAsync(api);
        var offline = Assert.Single(page.Items, i => i.Kind == IncidentHousekeeping.CameraOfflineKind);
        Assert.Equal("cam-1", offline.CameraId);
        Assert.Equal(Domain.Platform, offline.Domain);
        Assert.Equal(IncidentStatus.Open, offline.Status);
        Assert.Contains("cam-1 has sent nothing since", (await GetAsync(api, intrusion.Id)).Annotation);

        await PostObservationAsync(ingest, "cam-1");
        await housekeeping.WatchCamerasAsync(DateTimeOffset.UtcNow, CancellationToken.None);

        var resolved = await Eventually.Until(() => GetAsync(api, offline.Id), d => d.Incident.Status == IncidentStatus.Resolved, "the offline incident resolved");
        Assert.Contains("cam-1 sent observations again", resolved.Resolution);
        Assert.Single((await ListAsync(api)).Items, i => i.Kind == IncidentHousekeeping.CameraOfflineKind);
    }

    [Fact]
    public async Task An_incident_without_new_signals_for_the_quiet_period_resolves_itself()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var api = platform.CreateClient(ResourceNames.Api, key);
        await InsertSignalAsync(orgId, "cam-9");
        var incident = (await Eventually.Until(() => ListAsync(api), p => p.Items.Count == 1, "the incident")).Items[0];
        var housekeeping = Housekeeping(await platform.CreateDataSourceAsync());

        // Just inside the quiet period nothing happens; just past it the incident resolves.
        await housekeeping.ResolveQuietAsync(incident.UpdatedAt.AddSeconds(new FusionSettings().AutoResolveQuietSeconds - 5), CancellationToken.None);
        Assert.Equal(IncidentStatus.Open, (await GetAsync(api, incident.Id)).Incident.Status);
        await housekeeping.ResolveQuietAsync(incident.UpdatedAt.AddSeconds(new FusionSettings().AutoResolveQuietSeconds + 5), CancellationToken.None);

        var detail = await GetAsync(api, incident.Id);
        Assert.Equal(IncidentStatus.Resolved, detail.Incident.Status);
        Assert.Equal("no new signal for 1800 s", detail.Resolution);
    }

    private static IncidentHousekeeping Housekeeping(NpgsqlDataSource dataSource) =>
        new(dataSource, Options.Create(new FusionSettings()), TimeProvider.System, NullLogger<IncidentHousekeeping>.Instance);

    private static async Task<Page> ListAsync(HttpClient api) => (await api.GetFromJsonAsync<Page>("/v1/incidents", Json))!;

    private static async Task<Detail> GetAsync(HttpClient api, string id) => (await api.GetFromJsonAsync<Detail>($"/v1/incidents/{id}", Json))!;

    private static async Task PostObservationAsync(HttpClient ingest, string cameraId)
    {
        var frame = TestObservations.Track(DateTimeOffset.UtcNow.AddSeconds(-1), "p-1", 0.1, 0.1, site: "site-1", camera: cameraId);
        using var response = await ingest.PostAsync("/v1/observations", TestObservations.Batch([frame]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task InsertSignalAsync(string orgId, string cameraId) =>
        platform.InsertSignalsAsync(TestSignals.Of(orgId, $"s-{Guid.NewGuid():N}", "intrusion", "vault", DateTimeOffset.UtcNow.AddMinutes(-1), camera: cameraId));

    private async Task ExecuteAsync(string sql, string orgId)
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
