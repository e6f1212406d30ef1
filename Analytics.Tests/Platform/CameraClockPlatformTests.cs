using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Analytics.Antitheft;
using Analytics.Antitheft.Rules;
using Analytics.Education;
using Analytics.Education.Rules;
using Analytics.Incidents;
using Analytics.Rules;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Settings;
using Npgsql;

namespace Analytics.Tests.Platform;

/// <summary>
/// Each camera's clock on the real platform: a quiet camera's heartbeats complete its last window
/// and its last dwell; a camera that sends nothing at all is closed by the idle fallback; an
/// outage shorter than the fallback followed by its backlog gives the live signals, whatever a
/// neighbouring camera did meanwhile; and a rule service killed while a fallback close or a backlog
/// is written signals exactly the expected behaviours after its restart, none twice. Expected
/// signals are computed in process from the same observations by the same rules.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class CameraClockPlatformTests(PlatformFixture platform)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Heartbeats_complete_a_quiet_cameras_last_window_and_its_last_dwell()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync(educationEnabled: true);
        var classroom = await AddZoneAsync(key, "school-1", "class-cam", "room-1", ZoneKind.Classroom);
        var store = await AddZoneAsync(key, "store-1", "store-cam", "shelf-1", ZoneKind.Shelf);
        var window = WindowStart(DateTimeOffset.UtcNow.AddMinutes(-10));
        var lesson = Lesson(classroom, window);
        var dwell = Dwell(store, window, "p-1", 0, 130);
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);

        await PostAsync(ingest, [.. lesson, .. dwell]);
        await WaitForConsumersAsync(orgId);

        // The lesson's last window is still open (nothing later was seen), and so is the dwell.
        Assert.Empty(await SignalsAsync(orgId, RuleCatalog.LowEngagement.Name));
        Assert.Contains("store-cam", await ReplayStateAsync(ResourceNames.Antitheft));
        Assert.Single(await SignalsAsync(orgId, RuleCatalog.Loitering.Name));

        // The edge has nothing more to send: heartbeats a few seconds apart.
        var last = dwell.Max(o => o.OccurredAt);
        await PostAsync(ingest, [Heartbeat(classroom, window.AddSeconds(61)), Heartbeat(store, last.AddSeconds(8))]);

        var signal = Assert.Single(await Eventually.Until(
            () => SignalsAsync(orgId, RuleCatalog.LowEngagement.Name), s => s.Count > 0, "the last window's low engagement", Timeout));
        Assert.Equal(Expected(new ClassroomRule(new EducationSettings()), classroom, lesson).Single(), signal);
        await WaitForConsumersAsync(orgId);
        Assert.DoesNotContain("store-cam", await ReplayStateAsync(ResourceNames.Antitheft));
    }

    [Fact]
    public async Task A_camera_that_sends_nothing_at_all_is_closed_by_the_idle_fallback_within_its_timeout()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync(educationEnabled: true);
        var classroom = await AddZoneAsync(key, "school-1", "class-cam", "room-1", ZoneKind.Classroom);
        var lesson = Lesson(classroom, WindowStart(DateTimeOffset.UtcNow.AddMinutes(-10)));
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);

        await PostAsync(ingest, lesson);
        var sent = DateTimeOffset.UtcNow;

        var signal = Assert.Single(await Eventually.Until(
            () => SignalsAsync(orgId, RuleCatalog.LowEngagement.Name), s => s.Count > 0, "the fallback's close of the last window", Timeout));
        var closedAfter = DateTimeOffset.UtcNow - sent;
        Assert.True(closedAfter >= PlatformFixture.IdleTimeout, $"closed after {closedAfter.TotalSeconds:0.0} s, before the timeout");
        Assert.True(closedAfter <= PlatformFixture.IdleTimeout + TimeSpan.FromSeconds(15), $"closed after {closedAfter.TotalSeconds:0.0} s");
        Assert.Equal(Expected(new ClassroomRule(new EducationSettings()), classroom, lesson).Single(), signal);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM observation_log WHERE org_id = $1 AND type = 'camera_idle'", orgId));
    }

    [Fact]
    public async Task An_outage_shorter_than_the_fallback_then_its_backlog_gives_the_live_signals_while_a_neighbour_runs_ahead()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync(educationEnabled: true);
        var behind = await AddZoneAsync(key, "store-1", "cam-behind", "shelf-1", ZoneKind.Shelf);
        var ahead = await AddZoneAsync(key, "store-1", "cam-ahead", "shelf-2", ZoneKind.Shelf);
        var start = WindowStart(DateTimeOffset.UtcNow.AddMinutes(-20));
        // p-1 stands 150 s at the shelf of the camera whose uplink fails after 60 s; its neighbour,
        // whose clock runs 30 s ahead, goes on streaming a short visit meanwhile.
        var dwell = Dwell(behind, start, "p-1", 0, 150);
        var neighbour = Dwell(ahead, start.AddSeconds(30), "p-2", 0, 200);
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);

        await PostAsync(ingest, [.. dwell.Where(o => o.OccurredAt < start.AddSeconds(60)), .. neighbour.Where(o => o.OccurredAt < start.AddSeconds(90))]);
        await PostAsync(ingest, [.. neighbour.Where(o => o.OccurredAt >= start.AddSeconds(90))]);
        await WaitForConsumersAsync(orgId);
        await PostAsync(ingest, [.. dwell.Where(o => o.OccurredAt >= start.AddSeconds(60)), Heartbeat(behind, start.AddSeconds(200))]);
        await WaitForConsumersAsync(orgId);

        var expected = Expected(new LoiteringRule(new AntitheftSettings()), behind, dwell)
            .Concat(Expected(new LoiteringRule(new AntitheftSettings()), ahead, neighbour)).Order().ToList();
        Assert.Equal(2, expected.Count);
        Assert.Equal(expected, (await SignalsAsync(orgId, RuleCatalog.Loitering.Name)).Order().ToList());
    }

    [Fact]
    public async Task A_rule_service_killed_while_a_fallback_close_is_written_signals_the_closed_window_once_after_its_restart()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync(educationEnabled: true);
        var classroom = await AddZoneAsync(key, "school-1", "class-cam", "room-1", ZoneKind.Classroom);
        var lesson = Lesson(classroom, WindowStart(DateTimeOffset.UtcNow.AddMinutes(-10)));
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);
        await PostAsync(ingest, lesson);
        await WaitForConsumersAsync(orgId);

        var killed = await platform.KillAsync(ResourceNames.Education);
        try
        {
            await Eventually.Until(
                () => CountAsync("SELECT count(*) FROM observation_log WHERE org_id = $1 AND type = 'camera_idle'", orgId),
                count => count == 1, "ingest's idle close", Timeout);
        }
        finally
        {
            await platform.StartAsync(ResourceNames.Education, killed);
        }

        await WaitForConsumersAsync(orgId);
        Assert.Equal(
            Expected(new ClassroomRule(new EducationSettings()), classroom, lesson),
            await SignalsAsync(orgId, RuleCatalog.LowEngagement.Name));
    }

    [Fact]
    public async Task A_rule_service_killed_during_a_backlog_hours_late_signals_exactly_the_live_behaviours_after_its_restart()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync(educationEnabled: true);
        var store = await AddZoneAsync(key, "store-1", "store-cam", "shelf-1", ZoneKind.Shelf);
        var start = WindowStart(DateTimeOffset.UtcNow.AddHours(-3));
        // Three hours ago: p-1 stands 150 s at the shelf, p-2 130 s from 100 s on, p-3 passes by.
        IReadOnlyList<Observation> backlog =
        [
            .. Dwell(store, start, "p-1", 0, 150), .. Dwell(store, start, "p-2", 100, 230), .. Dwell(store, start, "p-3", 40, 50),
        ];
        backlog = [.. backlog.OrderBy(o => o.OccurredAt)];
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);

        // The first part arrives; the service dies while the rest of the backlog is uploaded.
        await PostAsync(ingest, [.. backlog.Where(o => o.OccurredAt < start.AddSeconds(120))]);
        await WaitForConsumersAsync(orgId);
        var killed = await platform.KillAsync(ResourceNames.Antitheft);
        try
        {
            var rest = backlog.Where(o => o.OccurredAt >= start.AddSeconds(120)).ToList();
            await PostAsync(ingest, rest[..(rest.Count / 2)]);
            await PostAsync(ingest, [.. rest[(rest.Count / 2)..], Heartbeat(store, start.AddSeconds(300))]);
        }
        finally
        {
            await platform.StartAsync(ResourceNames.Antitheft, killed);
        }

        await WaitForConsumersAsync(orgId);
        var expected = Expected(AntitheftRules.Create(new AntitheftSettings()), store, backlog);
        Assert.Equal(2, expected.Count);
        Assert.Equal(expected.Order(), (await SignalsAsync(orgId)).Order());
    }

    [Fact]
    public async Task A_restart_replaying_a_cameras_open_dwell_does_not_signal_again_what_ended_before_the_checkpoint()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync(educationEnabled: true);
        var store = await AddZoneAsync(key, "store-1", "store-cam", "shelf-1", ZoneKind.Shelf);
        var start = WindowStart(DateTimeOffset.UtcNow.AddMinutes(-30));
        // p-1 stands at the shelf from 0 to 500 s (signalled at 120 s) and leaves; p-2 arrives at
        // 300 s and is still there at the restart, so the replay re-reads from 300 s, where p-1's
        // last 200 s look like a dwell of their own.
        IReadOnlyList<Observation> scene = [.. Dwell(store, start, "p-1", 0, 500), .. Dwell(store, start, "p-2", 300, 700)];
        scene = [.. scene.OrderBy(o => o.OccurredAt)];
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);
        await PostAsync(ingest, [.. scene.Where(o => o.OccurredAt <= start.AddSeconds(600))]);
        await WaitForConsumersAsync(orgId);
        Assert.Contains("store-cam", await ReplayStateAsync(ResourceNames.Antitheft));

        // The rest arrives while the service is down, so its first page after the restart holds
        // both the replay and new entries.
        var killed = await platform.KillAsync(ResourceNames.Antitheft);
        try
        {
            await PostAsync(ingest, [.. scene.Where(o => o.OccurredAt > start.AddSeconds(600)), Heartbeat(store, start.AddSeconds(720))]);
        }
        finally
        {
            await platform.StartAsync(ResourceNames.Antitheft, killed);
        }
        await WaitForConsumersAsync(orgId);

        var expected = Expected(AntitheftRules.Create(new AntitheftSettings()), store, scene);
        Assert.Equal(2, expected.Count);
        Assert.Equal(expected.Order(), (await SignalsAsync(orgId)).Order());
    }

    [Fact]
    public async Task A_camera_that_only_sends_heartbeats_is_online()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync(educationEnabled: true);
        var camera = await AddZoneAsync(key, "store-1", "quiet-cam", "shelf-1", ZoneKind.Shelf);
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);
        using var api = platform.CreateClient(ResourceNames.Api, key);
        await PostAsync(ingest, [Heartbeat(camera, DateTimeOffset.UtcNow.AddSeconds(-1))]);
        await using var dataSource = await platform.CreateDataSourceAsync();
        var housekeeping = new Analytics.Fusion.Incidents.IncidentHousekeeping(
            dataSource, Microsoft.Extensions.Options.Options.Create(new FusionSettings()), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Analytics.Fusion.Incidents.IncidentHousekeeping>.Instance);

        // An hour of silence opens the offline incident; a heartbeat, with nothing else, resolves it.
        await platform.ExecuteAsync("UPDATE camera_activity SET last_seen_at = now() - interval '1 hour' WHERE org_id = $1", orgId);
        await housekeeping.WatchCamerasAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal(IncidentStatus.Open, (await OfflineAsync(api)).Status);
        await PostAsync(ingest, [Heartbeat(camera, DateTimeOffset.UtcNow.AddSeconds(-1))]);
        await housekeeping.WatchCamerasAsync(DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Equal(IncidentStatus.Resolved, (await OfflineAsync(api)).Status);
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM observation_log WHERE org_id = $1 AND type = 'camera_heartbeat'", orgId));
    }

    [Fact]
    public async Task Education_is_off_until_an_owner_turns_it_on_and_nothing_is_inferred_for_an_organization_that_has_not()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var classroom = await AddZoneAsync(key, "school-1", "class-cam", "room-1", ZoneKind.Classroom);
        var window = WindowStart(DateTimeOffset.UtcNow.AddMinutes(-10));
        List<Observation> lesson = [.. Lesson(classroom, window), Heartbeat(classroom, window.AddSeconds(61))];
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);

        // Ingest refuses the whole batch and names the setting.
        var body = JsonSerializer.Serialize(lesson.ToArray(), AnalyticsJsonContext.Default.ObservationArray);
        using (var refused = await ingest.PostAsync("/v1/observations", new StringContent(body, Encoding.UTF8, "application/json")))
        {
            var problem = await ProblemAssert.IsAsync(refused, HttpStatusCode.Forbidden);
            Assert.Equal("educationEnabled", problem.GetProperty("setting").GetString());
        }
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM observation_log WHERE org_id = $1", orgId));

        // Telemetry that reached the log anyway (sent before an owner turned education off) is
        // never fed to the rules: an opted-in organization's lesson, logged after it, is signalled,
        // and by then the education service has passed the first organization's entries.
        await AppendToLogAsync(orgId, lesson);
        var (optedIn, optedInKey) = await platform.CreateOrganizationAsync(educationEnabled: true);
        var otherClassroom = await AddZoneAsync(optedInKey, "school-1", "class-cam", "room-1", ZoneKind.Classroom);
        using (var optedInIngest = platform.CreateClient(ResourceNames.Ingest, optedInKey))
        {
            await PostAsync(optedInIngest, [.. Lesson(otherClassroom, window), Heartbeat(otherClassroom, window.AddSeconds(61))]);
        }
        await Eventually.Until(() => SignalsAsync(optedIn, RuleCatalog.LowEngagement.Name), s => s.Count == 1, "the opted-in organization's signal", Timeout);
        await WaitForConsumersAsync(orgId);
        Assert.Empty(await SignalsAsync(orgId));

        // An admin may not turn it on; an owner may, and ingest takes the lesson within its cache time.
        var admin = await platform.AddAsync(orgId, "admin");
        using (var byAdmin = await platform.CreateClient(ResourceNames.Api, admin.AccessToken).PutAsJsonAsync("/v1/organization/settings", new { educationEnabled = true }))
        {
            await ProblemAssert.IsAsync(byAdmin, HttpStatusCode.Forbidden);
        }
        var owner = await platform.AddAsync(orgId, "owner");
        using (var byOwner = await platform.CreateClient(ResourceNames.Api, owner.AccessToken).PutAsJsonAsync("/v1/organization/settings", new { educationEnabled = true }))
        {
            Assert.Equal(HttpStatusCode.OK, byOwner.StatusCode);
        }
        await Eventually.Until(
            async () => (await ingest.PostAsync("/v1/observations", new StringContent(body, Encoding.UTF8, "application/json"))).StatusCode,
            status => status == HttpStatusCode.OK, "ingest to take the lesson", Timeout);
    }

    private sealed record IncidentPage(List<Incident> Items);

    private static async Task<Incident> OfflineAsync(HttpClient api) =>
        Assert.Single((await api.GetFromJsonAsync<IncidentPage>($"/v1/incidents?kind={IncidentKinds.CameraOffline}", new JsonSerializerOptions(JsonSerializerDefaults.Web)))!.Items);

    /// <summary>A camera with one zone covering the left half of its image, registered through the API.</summary>
    private async Task<RuleContext> AddZoneAsync(string apiKey, string siteId, string cameraId, string zoneId, ZoneKind kind)
    {
        await platform.AddCameraAsync(apiKey, siteId, cameraId);
        using var api = platform.CreateClient(ResourceNames.Api, apiKey);
        IReadOnlyList<Point> polygon = [new(0, 0), new(0.5, 0), new(0.5, 1), new(0, 1)];
        using var response = await api.PutAsJsonAsync($"/v1/zones/{zoneId}", new
        {
            siteId,
            cameraId,
            name = zoneId,
            kind = JsonNamingPolicy.CamelCase.ConvertName(kind.ToString()),
            polygon,
        });
        await ProblemAssert.SucceededAsync(response);
        var zone = (await response.Content.ReadFromJsonAsync(AnalyticsJsonContext.Default.Zone))!;
        return new RuleContext(zone.OrgId, cameraId, [zone]);
    }

    private static DateTimeOffset WindowStart(DateTimeOffset near) =>
        new(near.UtcTicks - (near.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

    /// <summary>Six disengaged students, one sample a second, through one whole window; nothing after it.</summary>
    private static List<Observation> Lesson(RuleContext camera, DateTimeOffset window)
    {
        var samples = new List<Observation>();
        for (var second = 0; second < 60; second++)
        {
            for (var student = 0; student < 6; student++)
            {
                samples.Add(new AffectTelemetry
                {
                    SchemaVersion = 1,
                    SiteId = "school-1",
                    CameraId = camera.CameraId,
                    OccurredAt = window.AddSeconds(second + 0.25),
                    ZoneId = camera.Zones[0].ZoneId,
                    SubjectKey = $"slot-{student}",
                    Engagement = 0.15 + (student * 0.01),
                    Valence = 0.2,
                    Arousal = 0.5,
                    Confidence = 0.8,
                });
            }
        }
        return samples;
    }

    /// <summary>A person standing in the camera's zone (its left half) from <paramref name="from"/> to <paramref name="to"/> seconds, two frames a second.</summary>
    private static List<Observation> Dwell(RuleContext camera, DateTimeOffset start, string track, double from, double to)
    {
        var frames = new List<Observation>();
        for (var t = from; t <= to; t += 0.5)
        {
            frames.Add(new TrackUpdate
            {
                SchemaVersion = 1,
                SiteId = "store-1",
                CameraId = camera.CameraId,
                OccurredAt = start.AddSeconds(t),
                TrackId = track,
                ObjectClass = "person",
                Confidence = 0.9,
                Box = new BoundingBox(0.2, 0.3, 0.1, 0.4),
            });
        }
        return frames;
    }

    private static CameraHeartbeat Heartbeat(RuleContext camera, DateTimeOffset upTo) => new()
    {
        SchemaVersion = 1,
        SiteId = camera.Zones[0].Zone.SiteId,
        CameraId = camera.CameraId,
        OccurredAt = upTo,
    };

    /// <summary>The ids of the signals <paramref name="rule"/> gives for the camera's observations, with its edge's final heartbeat.</summary>
    private static List<string> Expected(IRule rule, RuleContext camera, IEnumerable<Observation> observations)
    {
        // The lateness the platform's rule services run with: the settings' default.
        var engine = new RuleEngine(rule, TimeSpan.FromSeconds(new RulesSettings().AllowedLatenessSeconds));
        var sink = new SignalBuffer();
        var list = observations.OrderBy(o => o.OccurredAt).ToList();
        foreach (var observation in list)
        {
            engine.Observe(observation, camera, sink);
        }
        engine.Heartbeat(camera, list[^1].OccurredAt.AddHours(1), sink);
        return [.. sink.Signals.Select(s => s.Id)];
    }

    private static async Task PostAsync(HttpClient ingest, IEnumerable<Observation> observations)
    {
        var body = JsonSerializer.Serialize(observations.ToArray(), AnalyticsJsonContext.Default.ObservationArray);
        using var response = await ingest.PostAsync("/v1/observations", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Waits until every rule service's checkpoint has passed everything the organization sent.</summary>
    private Task<long> WaitForConsumersAsync(string orgId) => Eventually.Until(
        () => CountAsync(
            """
            SELECT count(*) FROM consumer_checkpoints
            WHERE consumer IN ('antitheft', 'safety', 'education')
              AND (tx_id, seq) >= (SELECT tx_id, seq FROM observation_log WHERE org_id = $1 ORDER BY tx_id DESC, seq DESC LIMIT 1)
            """, orgId),
        count => count == 3, "the rule services' checkpoints past the organization's observations", Timeout);

    private async Task<string> ReplayStateAsync(string consumer)
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var command = dataSource.CreateCommand("SELECT replay_state::text FROM consumer_checkpoints WHERE consumer = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private Task<List<string>> SignalsAsync(string orgId, string? kind = null) => platform.QueryAsync(
        kind is null
            ? "SELECT signal_id FROM signals WHERE org_id = $1 ORDER BY started_at"
            : $"SELECT signal_id FROM signals WHERE org_id = $1 AND kind = '{kind}' ORDER BY started_at",
        orgId, reader => reader.GetString(0));

    private async Task<long> CountAsync(string sql, string orgId) => await platform.ScalarAsync<long>(sql, orgId);

    /// <summary>Writes observations straight into the log, as ingest would have stored them, bypassing its checks.</summary>
    private async Task AppendToLogAsync(string orgId, IEnumerable<Observation> observations)
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var batch = dataSource.CreateBatch();
        foreach (var observation in observations)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                "INSERT INTO observation_log (id, org_id, type, schema_version, camera_id, occurred_at, payload) VALUES ($1, $2, $3, 1, $4, $5, $6)")
            {
                Parameters =
                {
                    new() { Value = Guid.NewGuid() }, new() { Value = orgId }, new() { Value = EventTypes.Of(observation) },
                    new() { Value = observation.CameraId }, new() { Value = observation.OccurredAt },
                    new() { Value = JsonSerializer.SerializeToUtf8Bytes(observation, AnalyticsJsonContext.Default.Observation) },
                },
            });
        }
        await batch.ExecuteNonQueryAsync();
    }
}
