using Analytics.EventLog;
using Npgsql;

namespace Analytics.Consumers;

/// <summary>
/// A checkpointed consumer of a log: it handles one page of entries inside the transaction its
/// <see cref="ConsumerHost{T}"/> opened, and the host commits the checkpoint in that same
/// transaction. Reading, transactions, checkpoints, restarts and entries that cannot be applied are
/// the host's; a consumer never sees the log itself.
/// </summary>
/// <typeparam name="T">An entry as the consumer reads it.</typeparam>
public interface ILogConsumer<T>
{
    /// <summary>
    /// Called before the first page and again whenever the host starts over (after a failure, or
    /// after it set an entry aside): forget every in-memory state, and say where to read from.
    /// </summary>
    LogPosition Start(Checkpoint checkpoint) => checkpoint.Position;

    /// <summary>
    /// Entries at or before the checkpoint, read again only to rebuild in-memory state (a dwell in
    /// progress): everything they caused was committed before, so nothing may be written.
    /// </summary>
    ValueTask ReplayAsync(LogPage<T> page, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Applies the entries of <paramref name="page"/>, writing what they cause through
    /// <paramref name="connection"/>, whose transaction is open. Throws when an entry cannot be
    /// applied: the host then narrows the page down to that entry and sets it aside.
    /// </summary>
    /// <returns>What a restart needs to rebuild the in-memory state (stored with the checkpoint), or null when nothing spans it.</returns>
    Task<ReplayPoint?> HandleAsync(LogPage<T> page, NpgsqlConnection connection, CancellationToken cancellationToken);
}
