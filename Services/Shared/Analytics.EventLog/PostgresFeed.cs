using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.EventLog;

/// <summary>
/// Which append-only table a <see cref="PostgresFeed{T}"/> reads. The table has <c>tx_id xid8</c>
/// (default <c>pg_current_xact_id()</c>) and <c>seq bigint</c> (from a sequence) columns with an
/// index on (tx_id, seq), and its writers call <c>pg_notify(Channel, '')</c> in the writing
/// transaction.
/// </summary>
/// <param name="Table">The table, e.g. <c>signals</c>.</param>
/// <param name="Channel">The NOTIFY channel its writers signal.</param>
/// <param name="Columns">The columns read after tx_id and seq, which are ordinals 0 and 1.</param>
/// <param name="Read">Makes an entry of the current row; the other columns start at ordinal 2. What it throws makes the row an <see cref="UnreadableEntry"/>.</param>
/// <param name="JsonPayloadColumn">A bytea column holding a JSON document, shown as JSON (not as hex) when an entry is dead-lettered.</param>
public sealed record PostgresFeedDefinition<T>(
    string Table, string Channel, string Columns, Func<NpgsqlDataReader, LogPosition, T> Read, string? JsonPayloadColumn = null);

/// <summary>
/// Reads an append-only table in (tx_id, seq) order, only below the oldest running transaction,
/// so an entry whose transaction committed late is read when it lands instead of being skipped
/// (sequence values commit out of order under concurrent writers). Wakes on LISTEN/NOTIFY.
/// </summary>
public sealed class PostgresFeed<T>(NpgsqlDataSource dataSource, PostgresFeedDefinition<T> definition, PostgresEventLogOptions? options = null)
{
    private readonly PostgresEventLogOptions _options = options ?? new();

    private readonly string _pageSql = $"""
        SELECT tx_id, seq, {definition.Columns}
        FROM {definition.Table}
        WHERE (tx_id, seq) > ($1, $2) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY tx_id, seq
        LIMIT $3
        """;

    private readonly string _pendingSql =
        $"SELECT EXISTS (SELECT 1 FROM {definition.Table} WHERE (tx_id, seq) > ($1, $2))";

    /// <summary>
    /// Pages of entries after <paramref name="after"/>, forever; an empty page, which has
    /// <see cref="LogPage{T}.ReachedHead"/>, each time the reader has caught up and waits.
    /// </summary>
    public async IAsyncEnumerable<LogPage<T>> SubscribeAsync(
        LogPosition after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var listener = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var listen = new NpgsqlCommand($"LISTEN {definition.Channel}", listener))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }

        var position = after;
        var backoff = _options.MinHeldBackDelay;
        while (true)
        {
            var page = await ReadPageAsync(position, cancellationToken);
            if (page.Count > 0)
            {
                position = page.End;
                backoff = _options.MinHeldBackDelay;
                yield return page;
                continue;
            }
            if (await HasEntriesAfterAsync(position, cancellationToken))
            {
                // Committed entries wait behind a transaction that is still running; that one may
                // not append (it may not even be ours), so no notification is sure to come. Or
                // that transaction ended between the read and this check, and the entries' own
                // notification was taken by an earlier wait: either way, read again shortly.
                await Task.Delay(backoff, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxHeldBackDelay.Ticks));
                continue;
            }
            // Caught up: an empty page says so (a consumer's host reports its lag from it).
            yield return new LogPage<T>([], [], position, reachedHead: true);
            // Notifications that arrived since the last read are already buffered, so none is
            // lost between the read above and this wait. The timeout only guards against a
            // silently dropped connection.
            await listener.WaitForNotificationAsync(_options.IdleRecheck, cancellationToken);
        }
    }

    private async Task<LogPage<T>> ReadPageAsync(LogPosition after, CancellationToken cancellationToken)
    {
        // The planner cannot know how many entries lie past the position (the snapshot bound is
        // a run-time value and the statistics trail a table that grows by the second). When it
        // guesses few, it sorts every entry past the position, spilling to disk, to return the
        // first page: a reader that fell behind then pays for all of its lag on every page.
        // Without sorts the only plan is the index's own order, which stops at the page's end.
        // A batch is one implicit transaction, so a local setting holds for this batch only.
        // set_config rather than SET LOCAL, which logs a warning outside a BEGIN block on every page.
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('enable_sort', 'off', true)"));
        var query = new NpgsqlBatchCommand(_pageSql);
        query.Parameters.Add(new NpgsqlParameter { Value = after.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        query.Parameters.Add(new NpgsqlParameter { Value = after.Seq });
        query.Parameters.Add(new NpgsqlParameter { Value = _options.PageSize });
        batch.BatchCommands.Add(query);

        var entries = new List<T>();
        var positions = new List<LogPosition>();
        List<UnreadableEntry>? unreadable = null;
        var end = after;
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        // Past set_config's own one-row result to the page.
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            end = new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1));
            T entry;
            try
            {
                entry = definition.Read(reader, end);
            }
            catch (Exception e) when (e is FormatException or InvalidCastException or ArgumentException or System.Text.Json.JsonException or InvalidOperationException)
            {
                // One row the reader cannot make sense of (an unknown enum word, a malformed
                // document) must not stop the feed: the page carries it, and its consumer's host
                // puts it in the dead letters. The reader has the whole row, so the next row reads.
                (unreadable ??= []).Add(new UnreadableEntry(end, e));
                continue;
            }
            entries.Add(entry);
            positions.Add(end);
        }
        var read = entries.Count + (unreadable?.Count ?? 0);
        return new LogPage<T>(entries, positions, end, unreadable, reachedHead: read < _options.PageSize);
    }

    /// <summary>Whether any committed entry lies after <paramref name="position"/>, readable yet or not.</summary>
    private async Task<bool> HasEntriesAfterAsync(LogPosition position, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(_pendingSql);
        command.Parameters.Add(new NpgsqlParameter { Value = position.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = position.Seq });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
