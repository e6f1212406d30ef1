using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Npgsql;

namespace Analytics.Tests.Platform;

/// <summary>
/// From an edge batch to a stored signal through the real AppHost: ingest commits the batch, the
/// antitheft service reads it from the log, runs its rules with the organization's zones and
/// commits exactly the behaviours the scene contains, carrying the request's trace.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class SignalPipelineTests(PlatformFixture platform)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_loitering_scene_yields_exactly_one_loitering_signal_with_the_requests_trace()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        await AddZoneAsync(key, "shelf-1", ZoneKind.Shelf, [new(0, 0), new(0.5, 0), new(0.5, 1), new(0, 1)]);
        // Whole seconds: Postgres keeps microseconds, .NET ticks are finer.
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddMinutes(-4);

        // Ground truth: p-1 stands at the shelf for 130 s (over the 120 s default), p-2 walks past
        // it in 10 s, p-3 stays 130 s outside every zone. One loitering signal, for p-1.
        var frames = new List<string>();
        for (var t = 0.0; t <= 130; t += 0.5)
        {
            frames.Add(TestObservations.Track(start.AddSeconds(t), "p-1", 0.2, 0.3));
            frames.Add(TestObservations.Track(start.AddSeconds(t), "p-3", 0.7, 0.3));
            if (t <= 10)
            {
                frames.Add(TestObservations.Track(start.AddSeconds(t), "p-2", 0.05 + t * 0.06, 0.3));
            }
        }
        using var client = platform.CreateClient(ResourceNames.Ingest, key);
        using var response = await client.PostAsync("/v1/observations", TestObservations.Batch(frames));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var signals = await WaitForSignalsAsync(orgId, count: 1);

        var signal = Assert.Single(signals);
        Assert.Equal("loitering", signal.Kind);
        Assert.Equal(["p-1"], signal.TrackIds);
        Assert.Equal("shelf-1", signal.ZoneId);
        Assert.Equal(start, signal.StartedAt);
        var storedTrace = await platform.ScalarAsync<string>("SELECT DISTINCT trace_parent FROM observation_log WHERE org_id = $1", orgId);
        Assert.Equal(storedTrace, signal.TraceParent);
        // The stored document carries p-1's boxes as its frames had them: where the dwell began and
        // the frame that reached the threshold.
        var document = JsonSerializer.Deserialize(
            (await platform.ScalarAsync<string>("SELECT document::text FROM signals WHERE org_id = $1", orgId))!,
            AnalyticsJsonContext.Default.Signal)!;
        Assert.Equal(
            [
                new EvidenceBox { TrackId = "p-1", ObjectClass = "person", Box = new BoundingBox(0.2, 0.3, 0.1, 0.4), At = start },
                new EvidenceBox { TrackId = "p-1", ObjectClass = "person", Box = new BoundingBox(0.2, 0.3, 0.1, 0.4), At = start.AddSeconds(120) },
            ],
            document.Evidence.Boxes!);

        // Nothing more arrives for the other tracks once the rules have moved past the scene.
        await PostFramesAsync(client, [(200, TestObservations.Track(start.AddSeconds(200), "p-9", 0.9, 0.3))]);
        await WaitForCheckpointBeyondAsync(orgId);
        Assert.Single(await SignalsAsync(orgId));
    }

    [Fact]
    public async Task Antitheft_killed_mid_dwell_and_restarted_loses_and_duplicates_no_signal()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        await AddZoneAsync(key, "shelf-1", ZoneKind.Shelf, [new(0, 0), new(0.5, 0), new(0.5, 1), new(0, 1)]);
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddMinutes(-10);
        using var client = platform.CreateClient(ResourceNames.Ingest, key);

        // Ground truth: p-1 dwells at the shelf from 0 s to 140 s, across the crash at 90 s; p-3
        // dwells from 100 s to 230 s, wholly after it. Two loitering signals, starting at 0 s and 100 s.
        await PostFramesAsync(client, [.. Frames(start, "p-1", 0, 90)]);
        await WaitForCheckpointBeyondAsync(orgId);

        var killed = await platform.KillAsync(ResourceNames.Antitheft);
        await PostFramesAsync(client, [.. Frames(start, "p-1", 90.5, 140), .. Frames(start, "p-3", 100, 230)]);
        await platform.StartAsync(ResourceNames.Antitheft, killed);
        await WaitForCheckpointBeyondAsync(orgId);

        var signals = await SignalsAsync(orgId);
        Assert.Equal(
            [("p-1", start), ("p-3", start.AddSeconds(100))],
            signals.Select(s => (Assert.Single(s.TrackIds), s.StartedAt)));
        Assert.All(signals, s => Assert.Equal("loitering", s.Kind));
    }

    [Fact]
    public async Task A_damaged_log_entry_is_skipped_and_the_observations_after_it_still_yield_their_signal()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        await AddZoneAsync(key, "shelf-1", ZoneKind.Shelf, [new(0, 0), new(0.5, 0), new(0.5, 1), new(0, 1)]);
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddMinutes(-6);

        // A row ingest would never write (no type discriminator), as a foreign writer or damage might leave it.
        await using (var dataSource = await platform.CreateDataSourceAsync())
        await using (var damaged = dataSource.CreateCommand(
            "INSERT INTO observation_log (id, org_id, type, schema_version, camera_id, occurred_at, payload) VALUES ($1, $2, 'track_update', 1, 'cam-1', now(), '\\x7b7d')"))
        {
            damaged.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid() });
            damaged.Parameters.Add(new NpgsqlParameter { Value = orgId });
            await damaged.ExecuteNonQueryAsync();
        }
        using var client = platform.CreateClient(ResourceNames.Ingest, key);
        await PostFramesAsync(client, [.. Frames(start, "p-1", 0, 130)]);

        var signal = Assert.Single(await WaitForSignalsAsync(orgId, count: 1));
        Assert.Equal("loitering", signal.Kind);
        Assert.Equal(start, signal.StartedAt);
    }

    private static IEnumerable<(double Second, string Json)> Frames(DateTimeOffset start, string track, double from, double to)
    {
        for (var t = from; t <= to; t += 0.5)
        {
            yield return (t, TestObservations.Track(start.AddSeconds(t), track, 0.2, 0.3));
        }
    }

    /// <summary>Posts the frames in event-time order, as a tracker reports them (a camera's stream is in order up to the allowed lateness).</summary>
    private static async Task PostFramesAsync(HttpClient client, IEnumerable<(double Second, string Json)> frames)
    {
        using var response = await client.PostAsync("/v1/observations", TestObservations.Batch([.. frames.OrderBy(f => f.Second).Select(f => f.Json)]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Through the API, as an operator would: the rules must pick it up without a restart.</summary>
    private async Task AddZoneAsync(string apiKey, string zoneId, ZoneKind kind, IReadOnlyList<Point> polygon)
    {
        await platform.AddCameraAsync(apiKey, "store-1", "cam-1");
        using var client = platform.CreateClient(ResourceNames.Api, apiKey);
        var request = new { siteId = "store-1", cameraId = "cam-1", name = zoneId, kind = JsonNamingPolicy.CamelCase.ConvertName(kind.ToString()), polygon };
        using var response = await client.PutAsJsonAsync($"/v1/zones/{zoneId}", request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private sealed record StoredSignal(string Kind, string[] TrackIds, string? ZoneId, DateTimeOffset StartedAt, string? TraceParent);

    private Task<List<StoredSignal>> WaitForSignalsAsync(string orgId, int count) =>
        Eventually.Until(() => SignalsAsync(orgId), signals => signals.Count >= count, $"{count} signal(s) of {orgId}", Timeout);

    /// <summary>Waits until the antitheft consumer has committed past everything this org sent.</summary>
    private Task<bool?> WaitForCheckpointBeyondAsync(string orgId)
    {
        const string Sql = """
            SELECT (SELECT (tx_id, seq) FROM consumer_checkpoints WHERE consumer = 'antitheft')
                >= (SELECT (tx_id, seq) FROM observation_log WHERE org_id = $1 ORDER BY tx_id DESC, seq DESC LIMIT 1)
            """;
        return Eventually.Until(() => platform.ScalarAsync<bool?>(Sql, orgId), passed => passed == true, "antitheft's checkpoint past the org's observations", Timeout);
    }

    private Task<List<StoredSignal>> SignalsAsync(string orgId) => platform.QueryAsync(
        "SELECT kind, track_ids, zone_id, started_at, trace_parent FROM signals WHERE org_id = $1 ORDER BY started_at", orgId,
        reader => new StoredSignal(reader.GetString(0), reader.GetFieldValue<string[]>(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetFieldValue<DateTimeOffset>(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
}
