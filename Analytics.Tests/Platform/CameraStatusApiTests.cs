using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Incidents;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Platform;

/// <summary>
/// Cameras' presence (<c>GET /v1/cameras/status</c>) on the real platform: a camera that sent
/// observations through ingest is online, one never seen is offline, and one silent past its own
/// threshold or the organization's default is offline.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class CameraStatusApiTests(PlatformFixture platform)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Fusion:CameraOfflineSeconds as the test platform runs it (the default).</summary>
    private static readonly int DefaultThreshold = new FusionSettings().CameraOfflineSeconds;

    private sealed record Status(string CameraId, string SiteId, DateTimeOffset? LastSeenAt, DateTimeOffset? LastEventAt, bool Online, int OfflineAfterSeconds);

    [Fact]
    public async Task A_camera_that_sent_is_online_one_never_seen_or_silent_past_its_threshold_is_offline()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var (_, otherKey) = await platform.CreateOrganizationAsync();
        using var api = platform.CreateClient(ResourceNames.Api, key);
        foreach (var (site, camera) in new[] { ("site-1", "cam-live"), ("site-1", "cam-never"), ("site-1", "cam-quiet"), ("site-2", "cam-patient") })
        {
            await platform.AddCameraAsync(key, site, camera);
        }
        await PutCameraAsync(api, "cam-patient", "site-2", offlineAfterSeconds: 600);
        await platform.AddCameraAsync(otherKey, "site-1", "cam-never");

        var before = DateTimeOffset.UtcNow;
        var occurredAt = new DateTimeOffset(before.Ticks - before.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero).AddSeconds(-2);
        await SendAsync(key, occurredAt, ("site-1", "cam-live"), ("site-1", "cam-quiet"), ("site-2", "cam-patient"));
        // The other organization's camera of the same id sends; ours stays never seen.
        await SendAsync(otherKey, occurredAt, ("site-1", "cam-never"));

        var statuses = await Eventually.Until(() => StatusAsync(api, ""), s => s.Count == 4 && s.Single(c => c.CameraId == "cam-live").Online, "cam-live online");
        var live = statuses.Single(c => c.CameraId == "cam-live");
        Assert.Equal("site-1", live.SiteId);
        Assert.InRange(live.LastSeenAt!.Value, before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal(occurredAt, live.LastEventAt);
        Assert.Equal(DefaultThreshold, live.OfflineAfterSeconds);
        var never = statuses.Single(c => c.CameraId == "cam-never");
        Assert.Equal((null, null, false, DefaultThreshold), (never.LastSeenAt, never.LastEventAt, never.Online, never.OfflineAfterSeconds));
        Assert.Equal(["cam-live", "cam-never", "cam-quiet", "cam-patient"], statuses.Select(c => c.CameraId));

        // Never seen: the times are there, as null, not left out.
        var raw = await ProblemAssert.GetAsync(api, "/v1/cameras/status");
        var neverRaw = raw.EnumerateArray().Single(c => c.GetProperty("cameraId").GetString() == "cam-never");
        Assert.Equal(JsonValueKind.Null, neverRaw.GetProperty("lastSeenAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, neverRaw.GetProperty("lastEventAt").ValueKind);

        // Five minutes of silence: past the default threshold, within cam-patient's own 600 s.
        Assert.Equal(2, await platform.ExecuteAsync(
            "UPDATE camera_activity SET last_seen_at = now() - interval '5 minutes' WHERE org_id = $1 AND camera_id IN ('cam-quiet', 'cam-patient')", orgId));
        statuses = await StatusAsync(api, "");
        Assert.False(statuses.Single(c => c.CameraId == "cam-quiet").Online);
        var patient = statuses.Single(c => c.CameraId == "cam-patient");
        Assert.True(patient.Online);
        Assert.Equal(600, patient.OfflineAfterSeconds);
        Assert.True(statuses.Single(c => c.CameraId == "cam-live").Online);

        // Eleven minutes: past its own threshold too.
        Assert.Equal(1, await platform.ExecuteAsync(
            "UPDATE camera_activity SET last_seen_at = now() - interval '11 minutes' WHERE org_id = $1 AND camera_id = 'cam-patient'", orgId));
        Assert.False((await StatusAsync(api, "")).Single(c => c.CameraId == "cam-patient").Online);

        Assert.Equal(["cam-patient"], (await StatusAsync(api, "?siteId=site-2")).Select(c => c.CameraId));
        using var other = platform.CreateClient(ResourceNames.Api, otherKey);
        Assert.Equal([("cam-never", true)], (await StatusAsync(other, "")).Select(c => (c.CameraId, c.Online)));
    }

    [Fact]
    public async Task A_caller_limited_to_a_site_sees_only_that_sites_cameras()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        await platform.AddCameraAsync(key, "site-a", "cam-a");
        await platform.AddCameraAsync(key, "site-b", "cam-b");
        using var operatorA = platform.CreateClient(ResourceNames.Api, (await platform.AddAsync(orgId, OrgRoles.Operator, "site-a")).AccessToken);
        using var viewer = platform.CreateClient(ResourceNames.Api, (await platform.AddAsync(orgId, OrgRoles.Viewer)).AccessToken);

        Assert.Equal(["cam-a"], (await StatusAsync(operatorA, "")).Select(c => c.CameraId));
        Assert.Empty(await StatusAsync(operatorA, "?siteId=site-b"));
        Assert.Equal(["cam-a", "cam-b"], (await StatusAsync(viewer, "")).Select(c => c.CameraId));
    }

    /// <summary>One frame of each camera through ingest, as an edge tracker sends it.</summary>
    private async Task SendAsync(string key, DateTimeOffset at, params (string Site, string Camera)[] cameras)
    {
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);
        using var response = await ingest.PostAsync("/v1/observations",
            TestObservations.Batch(cameras.Select(c => TestObservations.Track(at, "t-1", 0.2, 0.2, c.Site, c.Camera))));
        await ProblemAssert.SucceededAsync(response);
    }

    private static async Task PutCameraAsync(HttpClient api, string cameraId, string siteId, int offlineAfterSeconds)
    {
        using var response = await api.PutAsJsonAsync($"/v1/cameras/{cameraId}", new { siteId, name = cameraId, offlineAfterSeconds });
        await ProblemAssert.SucceededAsync(response);
    }

    private static async Task<List<Status>> StatusAsync(HttpClient api, string query) =>
        (await api.GetFromJsonAsync<List<Status>>("/v1/cameras/status" + query, Json))!;
}
