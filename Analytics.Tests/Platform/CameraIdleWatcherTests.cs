using System.Net;
using Analytics.Ingest.Observations;
using Analytics.Schemas;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Analytics.Tests.Platform;

/// <summary>
/// The idle fallback's decisions against the platform's database, on a fake clock: a camera is
/// closed only once it has sent nothing for the whole timeout, once per silence, with the newest
/// event time it had sent, and again after it sent something and fell silent anew.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class CameraIdleWatcherTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_silent_camera_is_closed_once_per_silence_after_the_timeout_with_its_newest_event_time()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var ingest = platform.CreateClient(ResourceNames.Ingest, key);
        var first = Whole(DateTimeOffset.UtcNow.AddMinutes(-3));
        await PostAsync(ingest, first, "cam-1");
        await PostAsync(ingest, first.AddSeconds(-30), "cam-1");
        await using var dataSource = await platform.CreateDataSourceAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var timeout = TimeSpan.FromSeconds(600);
        var watcher = new CameraIdleWatcher(
            dataSource, Options.Create(new RulesSettings { IdleTimeoutSeconds = (int)timeout.TotalSeconds }), clock, NullLogger<CameraIdleWatcher>.Instance);

        // A sixth of the timeout, at most a minute: a close comes at most that late.
        Assert.Equal(TimeSpan.FromMinutes(1), watcher.Interval);
        clock.Advance(timeout - TimeSpan.FromSeconds(30));
        await watcher.CloseIdleAsync(clock.GetUtcNow(), CancellationToken.None);
        Assert.Empty(await ClosesAsync(orgId));

        clock.Advance(TimeSpan.FromSeconds(60));
        await watcher.CloseIdleAsync(clock.GetUtcNow(), CancellationToken.None);
        Assert.Equal([("cam-1", first)], await ClosesAsync(orgId));

        // Still silent: the same silence is not closed twice.
        clock.Advance(timeout * 3);
        await watcher.CloseIdleAsync(clock.GetUtcNow(), CancellationToken.None);
        Assert.Single(await ClosesAsync(orgId));

        // It sends again and falls silent anew: a second close, with its new newest event time.
        var second = first.AddMinutes(2);
        await PostAsync(ingest, second, "cam-1");
        var afterSecond = new FakeTimeProvider(DateTimeOffset.UtcNow);
        afterSecond.Advance(TimeSpan.FromSeconds(30));
        await watcher.CloseIdleAsync(afterSecond.GetUtcNow(), CancellationToken.None);
        Assert.Single(await ClosesAsync(orgId));
        afterSecond.Advance(timeout);
        await watcher.CloseIdleAsync(afterSecond.GetUtcNow(), CancellationToken.None);
        Assert.Equal([("cam-1", first), ("cam-1", second)], await ClosesAsync(orgId));
    }

    private static DateTimeOffset Whole(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static async Task PostAsync(HttpClient ingest, DateTimeOffset at, string camera)
    {
        using var response = await ingest.PostAsync("/v1/observations", TestObservations.Batch([TestObservations.Track(at, "p-1", 0.2, 0.3, camera: camera)]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task<List<(string CameraId, DateTimeOffset OccurredAt)>> ClosesAsync(string orgId) => platform.QueryAsync(
        "SELECT camera_id, occurred_at FROM observation_log WHERE org_id = $1 AND type = 'camera_idle' ORDER BY tx_id, seq",
        orgId, reader => (reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
}
