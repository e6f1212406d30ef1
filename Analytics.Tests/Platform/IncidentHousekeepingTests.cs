using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Fusion.Incidents;
using Analytics.Incidents;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Microsoft.Extensions.Logging;
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
        Assert.Equal(1, await platform.ExecuteAsync("UPDATE camera_activity SET last_seen_at = now() - interval '1 hour' WHERE org_id = $1 AND camera_id = 'cam-1'", orgId));
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

        // Just inside the quiet period nothing happens; just past it the incident resolves. Other
        // tests' organizations may have thousands of incidents quiet by then too (the console's
        // inbox timing makes 10,000), more than one batch.
        await ResolveAllQuietAsync(housekeeping, incident.UpdatedAt.AddSeconds(new FusionSettings().AutoResolveQuietSeconds - 5));
        Assert.Equal(IncidentStatus.Open, (await GetAsync(api, incident.Id)).Incident.Status);
        await ResolveAllQuietAsync(housekeeping, incident.UpdatedAt.AddSeconds(new FusionSettings().AutoResolveQuietSeconds + 5));

        var detail = await GetAsync(api, incident.Id);
        Assert.Equal(IncidentStatus.Resolved, detail.Incident.Status);
        Assert.Equal("no new signal for 1800 s", detail.Resolution);
    }

    [Fact]
    public async Task A_camera_offline_incident_outlasts_the_quiet_cleanup_stays_the_only_one_while_the_camera_is_silent_and_resolves_when_it_sends()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        await platform.AddCameraAsync(key, "site-1", "cam-1");
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);
        using var api = platform.CreateClient(ResourceNames.Api, key);
        await PostObservationAsync(ingest, "cam-1");
        await SilenceCameraAsync(orgId, "cam-1");
        var housekeeping = Housekeeping(await platform.CreateDataSourceAsync());
        var now = DateTimeOffset.UtcNow;
        await housekeeping.WatchCamerasAsync(now, CancellationToken.None);
        var offline = Assert.Single(await OfflineIncidentsAsync(api));
        Assert.Equal(IncidentStatus.Open, offline.Status);

        // The quiet cleanup runs well past its period while the camera stays silent: an incident
        // about absence gets no new signal by its nature, so the cleanup must leave it alone.
        await ResolveAllQuietAsync(housekeeping, now.AddSeconds(new FusionSettings().AutoResolveQuietSeconds + 60));
        Assert.Equal(IncidentStatus.Open, (await GetAsync(api, offline.Id)).Incident.Status);

        for (var pass = 0; pass < 3; pass++)
        {
            await housekeeping.WatchCamerasAsync(DateTimeOffset.UtcNow, CancellationToken.None);
            var still = Assert.Single(await OfflineIncidentsAsync(api));
            Assert.Equal(offline.Id, still.Id);
            Assert.Equal(IncidentStatus.Open, still.Status);
        }

        await PostObservationAsync(ingest, "cam-1");
        await housekeeping.WatchCamerasAsync(DateTimeOffset.UtcNow, CancellationToken.None);

        var resolved = await Eventually.Until(() => GetAsync(api, offline.Id), d => d.Incident.Status == IncidentStatus.Resolved, "the offline incident resolved");
        Assert.Contains("cam-1 sent observations again", resolved.Resolution);
        Assert.Single(await OfflineIncidentsAsync(api));
    }

    [Fact]
    public async Task An_offline_incident_resolved_by_hand_while_its_camera_is_silent_is_not_opened_again_and_other_cameras_are_still_watched()
    {
        using var firstCamera = await SendingCameraAsync();
        using var secondCamera = await SendingCameraAsync();
        var (firstOrg, firstApi) = (firstCamera.OrgId, firstCamera.Api);
        var (secondOrg, secondApi) = (secondCamera.OrgId, secondCamera.Api);
        await SilenceCameraAsync(firstOrg, "cam-1");
        var housekeeping = Housekeeping(await platform.CreateDataSourceAsync());
        await housekeeping.WatchCamerasAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        var handled = Assert.Single(await OfflineIncidentsAsync(firstApi));
        using (var resolve = await firstApi.PostAsJsonAsync($"/v1/incidents/{handled.Id}/resolve", new { comment = "camera taken down for cleaning" }))
        {
            Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);
        }

        // The first camera is still in the same silence; the second falls silent now. One pass
        // handles both: the first keeps its one resolved incident, the second gets its own.
        await SilenceCameraAsync(secondOrg, "cam-1");
        for (var pass = 0; pass < 3; pass++)
        {
            await housekeeping.WatchCamerasAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        }

        var first = Assert.Single(await OfflineIncidentsAsync(firstApi));
        Assert.Equal(handled.Id, first.Id);
        Assert.Equal(IncidentStatus.Resolved, first.Status);
        var second = Assert.Single(await OfflineIncidentsAsync(secondApi));
        Assert.Equal(IncidentStatus.Open, second.Status);
    }

    [Fact]
    public async Task A_camera_whose_offline_incident_cannot_be_written_is_logged_as_an_error_and_does_not_hold_up_other_cameras()
    {
        using var brokenCamera = await SendingCameraAsync();
        using var healthyCamera = await SendingCameraAsync();
        var (brokenOrg, brokenApi) = (brokenCamera.OrgId, brokenCamera.Api);
        var (healthyOrg, healthyApi) = (healthyCamera.OrgId, healthyCamera.Api);
        var log = new RecordingLogger();
        var housekeeping = Housekeeping(await platform.CreateDataSourceAsync(), log);

        // A fault the database raises for one organization's incident events only, standing in for
        // a bug in one camera's state; it is removed again before the test ends.
        var fault = "fail_" + brokenOrg.Replace("-", "_", StringComparison.Ordinal);
        await platform.ExecuteAsync(
            $"""
            CREATE FUNCTION {fault}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.org_id = '{brokenOrg}' THEN RAISE EXCEPTION 'injected fault for {brokenOrg}'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER {fault} BEFORE INSERT ON incident_events FOR EACH ROW EXECUTE FUNCTION {fault}();
            """);
        try
        {
            await SilenceCameraAsync(brokenOrg, "cam-1");
            await SilenceCameraAsync(healthyOrg, "cam-1");
            await housekeeping.WatchCamerasAsync(DateTimeOffset.UtcNow, CancellationToken.None);

            Assert.Empty(await OfflineIncidentsAsync(brokenApi));
            Assert.Equal(IncidentStatus.Open, Assert.Single(await OfflineIncidentsAsync(healthyApi)).Status);
            Assert.Contains(log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains(brokenOrg, StringComparison.Ordinal) && e.Message.Contains("cam-1", StringComparison.Ordinal));
        }
        finally
        {
            await platform.ExecuteAsync($"DROP TRIGGER {fault} ON incident_events; DROP FUNCTION {fault}();");
        }

        // Once the fault is gone the next pass opens the camera's incident.
        await housekeeping.WatchCamerasAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal(IncidentStatus.Open, Assert.Single(await OfflineIncidentsAsync(brokenApi)).Status);
        Assert.Single(await OfflineIncidentsAsync(healthyApi));
    }

    private static IncidentHousekeeping Housekeeping(NpgsqlDataSource dataSource, ILogger<IncidentHousekeeping>? logger = null) =>
        new(dataSource, Options.Create(new FusionSettings()), TimeProvider.System, logger ?? NullLogger<IncidentHousekeeping>.Instance);

    private static async Task ResolveAllQuietAsync(IncidentHousekeeping housekeeping, DateTimeOffset now)
    {
        // The cleanup works in batches over every organization; run it until nothing is left.
        while (await housekeeping.ResolveQuietAsync(now, CancellationToken.None) > 0)
        {
        }
    }

    /// <summary>A new organization whose registered camera cam-1 has just sent an observation, with its API client.</summary>
    private sealed record SendingCamera(string OrgId, HttpClient Api) : IDisposable
    {
        public void Dispose() => Api.Dispose();
    }

    private async Task<SendingCamera> SendingCameraAsync()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        await platform.AddCameraAsync(key, "site-1", "cam-1");
        using (var ingest = platform.CreateClient(ResourceNames.Ingest, key))
        {
            await PostObservationAsync(ingest, "cam-1");
        }
        return new SendingCamera(orgId, platform.CreateClient(ResourceNames.Api, key));
    }

    private static async Task<List<Incident>> OfflineIncidentsAsync(HttpClient api) =>
        (await api.GetFromJsonAsync<Page>($"/v1/incidents?kind={IncidentHousekeeping.CameraOfflineKind}", Json))!.Items;

    /// <summary>The camera last sent an hour ago, well past any offline threshold.</summary>
    private async Task SilenceCameraAsync(string orgId, string cameraId) =>
        Assert.Equal(1, await platform.ExecuteAsync($"UPDATE camera_activity SET last_seen_at = now() - interval '1 hour' WHERE org_id = $1 AND camera_id = '{cameraId}'", orgId));

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

    /// <summary>Keeps what the housekeeping logs, so a test can see an error was reported.</summary>
    private sealed class RecordingLogger : ILogger<IncidentHousekeeping>
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

        public IReadOnlyCollection<(LogLevel Level, string Message)> Entries => _entries;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
