using Analytics.EventLog;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Analytics.Consumers;

/// <summary>
/// Runs one <see cref="ILogConsumer{T}"/> over its log: reads pages from the checkpoint, hands each
/// to the consumer inside a transaction, and commits the checkpoint in that transaction, so what
/// the consumer wrote and how far it got commit together. Written once for every consumer.
/// <list type="bullet">
/// <item>A failure of the moment (the database away, a timeout) starts the consumer over from its
/// checkpoint after a backoff (<see cref="ConsumerRestarts"/>).</item>
/// <item>An entry that cannot be applied (<see cref="ConsumerFaults.IsEntryFault"/>) must not stall
/// every organization behind it: the host starts over and hands the failed page on in halves,
/// and again, until the one entry that fails is alone; that entry goes to the dead letters with
/// the error, in the transaction that moves the checkpoint past it, and the consumer goes on.
/// Entries the log could not even read come as <see cref="LogPage{T}.Unreadable"/> and go to the
/// dead letters directly.</item>
/// <item>Nothing ends the loop but the service stopping.</item>
/// </list>
/// </summary>
public sealed partial class ConsumerHost<T>(
    string name,
    IEventLog<T> log,
    ILogConsumer<T> consumer,
    NpgsqlDataSource dataSource,
    ConsumerStatus status,
    TimeProvider clock,
    ILogger<ConsumerHost<T>> logger,
    bool readAhead = false) : BackgroundService
{
    /// <summary>Set while the host narrows a failed page down: entries up to <c>Until</c> go in pages of at most <c>Size</c>.</summary>
    private (LogPosition Until, int Size)? _narrowing;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        status.Register(name);
        return ConsumerRestarts.RunAsync(RunAsync, (e, backoff) =>
        {
            status.Restarted(name);
            LogRestart(e, name, backoff.TotalSeconds);
        }, clock, stoppingToken);
    }

    /// <summary>Consumes until it fails, or returns to be started over at once after it set an entry aside or began narrowing.</summary>
    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var committed = await log.LoadCheckpointAsync(name, cancellationToken);
        var from = consumer.Start(committed);
        var setAside = await DeadLetters.PositionsAfterAsync(dataSource, name, from, cancellationToken);
        LogStarting(name, committed.Position.ToString(), from.ToString());

        var pages = log.SubscribeAsync(from, cancellationToken);
        await foreach (var read in readAhead ? pages.ReadAhead(cancellationToken) : pages)
        {
            var page = read.Without(setAside);
            // Up to the checkpoint only what rebuilds in-memory state; nothing is written again.
            if (page.Count > 0 && page.First <= committed.Position)
            {
                await consumer.ReplayAsync(page.Between(LogPosition.Start, committed.Position), cancellationToken);
            }
            var fresh = page.Between(committed.Position, page.End);
            if (fresh.Count > 0)
            {
                foreach (var part in Parts(fresh))
                {
                    if (await TryHandleAsync(part, committed, cancellationToken) is not { } next)
                    {
                        return;
                    }
                    committed = next;
                }
            }
            status.Handled(name, page.ReachedHead);
        }
    }

    /// <summary>The page as one, or, while narrowing, cut into pages of the current size up to where narrowing ends.</summary>
    private IEnumerable<LogPage<T>> Parts(LogPage<T> page)
    {
        if (_narrowing is not { } narrowing || page.First > narrowing.Until)
        {
            _narrowing = null;
            return [page];
        }
        var narrowed = page.Between(LogPosition.Start, narrowing.Until).Chunk(narrowing.Size);
        var rest = page.Between(narrowing.Until, page.End);
        return rest.Count == 0 ? narrowed : narrowed.Append(rest);
    }

    /// <returns>The new checkpoint, or null when the page failed and the consumer must start over.</returns>
    private async Task<Checkpoint?> TryHandleAsync(LogPage<T> page, Checkpoint committed, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            foreach (var unreadable in page.Unreadable)
            {
                await SetAsideAsync(connection, unreadable.Position, unreadable.Error, cancellationToken);
            }
            var checkpoint = page.Entries.Count > 0
                ? After(page.End, await consumer.HandleAsync(page, connection, cancellationToken))
                : Carried(committed, page.End);
            await log.CommitCheckpointAsync(connection, name, checkpoint, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            if (_narrowing is { } narrowing && checkpoint.Position >= narrowing.Until)
            {
                _narrowing = null;
            }
            return checkpoint;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && ConsumerFaults.IsEntryFault(e))
        {
            if (page.Count == 1)
            {
                await SetAsideAloneAsync(page, committed, e, cancellationToken);
                return null;
            }
            // The consumer's in-memory state may hold half of the failed page: it starts over from
            // the checkpoint and gets the same entries again, in halves.
            var until = _narrowing is { } narrowing && narrowing.Until > page.End ? narrowing.Until : page.End;
            _narrowing = (until, Math.Max(1, page.Count / 2));
            LogNarrowing(e, name, page.Count, page.First.ToString(), page.End.ToString());
            return null;
        }
    }

    /// <summary>Sets the one entry of <paramref name="page"/> aside and moves the checkpoint past it; the consumer's state is as it was before the entry.</summary>
    private async Task SetAsideAloneAsync(LogPage<T> page, Checkpoint committed, Exception error, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await SetAsideAsync(connection, page.End, error, cancellationToken);
        await log.CommitCheckpointAsync(connection, name, Carried(committed, page.End), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task SetAsideAsync(NpgsqlConnection connection, LogPosition position, Exception error, CancellationToken cancellationToken)
    {
        var entry = await log.DescribeAsync(connection, position, cancellationToken);
        await DeadLetters.InsertAsync(connection, name, position, entry, $"{error.GetType().Name}: {error.Message}", cancellationToken);
        status.DeadLettered(name);
        LogSetAside(error, name, position.ToString(), entry.OrgId);
    }

    private static Checkpoint After(LogPosition end, ReplayPoint? replay) =>
        replay is null ? new Checkpoint(end, end, Checkpoint.NoReplayState) : new Checkpoint(end, replay.From, replay.State);

    /// <summary>
    /// The checkpoint moved to <paramref name="end"/> past entries the consumer did not apply: its
    /// state is unchanged, so the way to rebuild it is too (none, when nothing spanned the checkpoint).
    /// </summary>
    private static Checkpoint Carried(Checkpoint committed, LogPosition end) =>
        committed.ReplayFrom == committed.Position
            ? new Checkpoint(end, end, Checkpoint.NoReplayState)
            : committed with { Position = end };

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer} starts after {Checkpoint}, reading from {From}")]
    private partial void LogStarting(string consumer, string checkpoint, string from);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} failed and restarts from its checkpoint in {Seconds} s")]
    private partial void LogRestart(Exception error, string consumer, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} could not apply a page of {Count} entries ({First} to {End}); it starts over and takes them in smaller pages to find the entry that fails")]
    private partial void LogNarrowing(Exception error, string consumer, int count, string first, string end);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer} set entry {Position} of organization {OrgId} aside as a dead letter: it cannot be applied; the consumer goes on without it")]
    private partial void LogSetAside(Exception error, string consumer, string position, string? orgId);
}
