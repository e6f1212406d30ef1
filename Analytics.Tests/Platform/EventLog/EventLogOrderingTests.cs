using System.Text;
using Analytics.EventLog;
using Analytics.Tests.Platform;
using Npgsql;

namespace Analytics.Tests.EventLog;

/// <summary>
/// The log's central promise: under many concurrent writers whose transactions commit late and
/// out of order (and some roll back), one consumer sees every committed entry exactly once, in
/// log order, and resumes from a checkpoint without a gap or a repeat.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class EventLogOrderingTests(PlatformFixture platform)
{
    private const int Writers = 8;
    private const int TransactionsPerWriter = 25;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private sealed record Written(int Writer, int Transaction, int Row);

    private static readonly Written EndMarker = new(-1, -1, -1);

    [Fact]
    public async Task Concurrent_late_commits_are_seen_exactly_once_in_order_and_resume_from_a_checkpoint()
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        var log = new PostgresEventLog(dataSource);
        var orgId = $"org-{Guid.NewGuid():N}";
        using var cts = new CancellationTokenSource(Timeout);

        // Subscribe first: the consumer must pick up entries while writers are still running.
        var seen = new List<(LogPosition Position, Written Written)>();
        var consumer = ConsumeUntilEndMarkerAsync(log, LogPosition.Start, orgId, seen, cts.Token);

        var expected = (await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => WriteAsync(dataSource, orgId, w, cts.Token))))
            .SelectMany(rows => rows)
            .ToHashSet();
        // Begun after every writer finished, so its transaction id, and its place, comes last.
        await log.AppendAsync([Record(orgId, EndMarker)], cts.Token);
        await consumer;

        Assert.Equal(expected.Count, seen.Count);
        Assert.Equal(expected, seen.Select(s => s.Written).ToHashSet());
        Assert.True(seen.Zip(seen.Skip(1)).All(pair => pair.First.Position < pair.Second.Position), "positions must strictly increase");
        foreach (var writer in seen.GroupBy(s => s.Written.Writer))
        {
            var order = writer.Select(s => (s.Written.Transaction, s.Written.Row)).ToList();
            Assert.Equal(order.Order(), order);
        }
        // The scenario really had late commits: a later sequence number was read before an earlier one.
        Assert.Contains(seen.Zip(seen.Skip(1)), pair => pair.First.Position.Seq > pair.Second.Position.Seq);

        // A consumer that committed its checkpoint half-way resumes right after it.
        var half = seen[seen.Count / 2];
        await using (var connection = await dataSource.OpenConnectionAsync(cts.Token))
        {
            await log.CommitCheckpointAsync(connection, $"test-{orgId}", new Checkpoint(half.Position, half.Position, Checkpoint.NoReplayState), cts.Token);
        }
        var resumeFrom = (await log.LoadCheckpointAsync($"test-{orgId}", cts.Token)).Position;
        Assert.Equal(half.Position, resumeFrom);
        var resumed = new List<(LogPosition Position, Written Written)>();
        await ConsumeUntilEndMarkerAsync(log, resumeFrom, orgId, resumed, cts.Token);
        Assert.Equal(seen.Skip(seen.Count / 2 + 1), resumed);
    }

    /// <summary>
    /// One writer: each transaction appends a few rows in one or two steps, holding the transaction
    /// open for a random while before it commits (every seventh rolls back). Returns what was committed.
    /// </summary>
    private static async Task<List<Written>> WriteAsync(NpgsqlDataSource dataSource, string orgId, int writer, CancellationToken cancellationToken)
    {
        var random = new Random(writer);
        var committed = new List<Written>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        for (var t = 0; t < TransactionsPerWriter; t++)
        {
            var rows = Enumerable.Range(0, random.Next(1, 8)).Select(r => new Written(writer, t, r)).ToList();
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // Two appends with a pause between, then a pause before the commit: other writers take
            // sequence numbers in between and commit meanwhile, so sequence order and commit order
            // disagree on every run, not only when the scheduler happens to interleave them.
            var split = random.Next(0, rows.Count);
            await PostgresEventLog.AppendAsync(connection, rows.Take(split + 1).Select(r => Record(orgId, r)).ToList(), cancellationToken);
            await Task.Delay(random.Next(1, 15), cancellationToken);
            if (split + 1 < rows.Count)
            {
                await PostgresEventLog.AppendAsync(connection, rows.Skip(split + 1).Select(r => Record(orgId, r)).ToList(), cancellationToken);
            }
            await Task.Delay(random.Next(0, 15), cancellationToken);
            if (t % 7 == 6)
            {
                await transaction.RollbackAsync(cancellationToken);
                continue;
            }
            await transaction.CommitAsync(cancellationToken);
            committed.AddRange(rows);
        }
        return committed;
    }

    private static async Task ConsumeUntilEndMarkerAsync(
        PostgresEventLog log, LogPosition from, string orgId, List<(LogPosition, Written)> seen, CancellationToken cancellationToken)
    {
        await foreach (var page in log.SubscribeAsync(from, cancellationToken))
        {
            foreach (var entry in page.Entries.Where(e => e.Record.OrgId == orgId))
            {
                var parts = Encoding.UTF8.GetString(entry.Record.Payload.Span).Split('/').Select(int.Parse).ToArray();
                var written = new Written(parts[0], parts[1], parts[2]);
                if (written == EndMarker)
                {
                    return;
                }
                seen.Add((entry.Position, written));
            }
        }
    }

    private static LogRecord Record(string orgId, Written row) => new(
        Guid.NewGuid(), orgId, "test_event", 1, $"camera-{row.Writer}", DateTimeOffset.UtcNow, null, null,
        Encoding.UTF8.GetBytes($"{row.Writer}/{row.Transaction}/{row.Row}"));
}
