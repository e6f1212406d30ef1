using System.Text;
using Analytics.EventLog;
using Analytics.Tests.Platform;

namespace Analytics.Tests.EventLog;

/// <summary>
/// A reader that decodes only some types still gets every entry, in order, but the server leaves
/// out the payload and trace context of the others; the entries it does decode are untouched.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class LogProjectionTests(PlatformFixture platform)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly DateTimeOffset At = new(2026, 11, 25, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Entries_of_other_types_come_in_order_as_their_envelope_alone()
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        var log = new PostgresEventLog(dataSource);
        var orgId = $"org-{Guid.NewGuid():N}";
        LogRecord[] written =
        [
            Record(orgId, "wanted_event", 1, "a"),
            Record(orgId, "other_event", 2, "b"),
            Record(orgId, "wanted_event", 3, "c"),
        ];
        // Every transaction older than the oldest one running now has ended, so the append below
        // lands after this position: the reads skip what the rest of the suite wrote before.
        LogPosition after;
        await using (var snapshot = dataSource.CreateCommand("SELECT pg_snapshot_xmin(pg_current_snapshot())"))
        {
            after = new LogPosition((ulong)(await snapshot.ExecuteScalarAsync())!, 0);
        }
        await log.AppendAsync(written, CancellationToken.None);

        var projected = await ReadAsync(log.Projected(new HashSet<string> { "wanted_event" }).SubscribeAsync(after, CancellationToken.None), orgId, written.Length);
        var full = await ReadAsync(log.SubscribeAsync(after, CancellationToken.None), orgId, written.Length);

        Assert.Equal(full.Select(e => e.Position), projected.Select(e => e.Position));
        AssertSame(written[0], projected[0].Record);
        AssertSame(written[2], projected[2].Record);
        var other = projected[1].Record;
        Assert.Equal(
            (written[1].Id, written[1].OrgId, written[1].Type, written[1].SchemaVersion, written[1].CameraId, written[1].OccurredAt),
            (other.Id, other.OrgId, other.Type, other.SchemaVersion, other.CameraId, other.OccurredAt));
        Assert.Null(other.TraceParent);
        Assert.Null(other.TraceState);
        Assert.True(other.Payload.IsEmpty);
        // Without a projection the same entry comes whole.
        AssertSame(written[1], full[1].Record);
    }

    [Fact]
    public async Task A_type_that_is_not_a_plain_event_type_name_is_refused_before_any_query()
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        var log = new PostgresEventLog(dataSource);

        var error = Assert.Throws<ArgumentException>(() => log.Projected(new HashSet<string> { "track_update') OR (true" }));
        Assert.Contains("track_update') OR (true", error.Message, StringComparison.Ordinal);
    }

    private static async Task<List<LogEntry>> ReadAsync(IAsyncEnumerable<LogPage<LogEntry>> pages, string orgId, int count)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var entries = new List<LogEntry>();
        await foreach (var page in pages.WithCancellation(cts.Token))
        {
            entries.AddRange(page.Entries.Where(e => e.Record.OrgId == orgId));
            if (entries.Count >= count)
            {
                return entries;
            }
        }
        return entries;
    }

    private static void AssertSame(LogRecord expected, LogRecord actual)
    {
        Assert.Equal(expected with { Payload = default }, actual with { Payload = default });
        Assert.Equal(expected.Payload.ToArray(), actual.Payload.ToArray());
    }

    private static LogRecord Record(string orgId, string type, int n, string body) => new(
        Guid.NewGuid(), orgId, type, n, $"camera-{n}", At.AddSeconds(n),
        $"00-0af7651916cd43dd8448eb211c8031{n:D2}-b7ad6b7169203331-01", $"vendor={n}", Encoding.UTF8.GetBytes(body));
}
