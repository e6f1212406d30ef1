using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.EventLog;

/// <summary>
/// The log in Postgres (<c>observation_log</c>, see migration 0002). Appends are one binary COPY
/// per batch; subscribers read in (tx_id, seq) order below the oldest running transaction, so a
/// late commit is read when it lands instead of being skipped, and wake on LISTEN/NOTIFY.
/// </summary>
public sealed class PostgresEventLog(NpgsqlDataSource dataSource, PostgresEventLogOptions? options = null) : IEventLog
{
    public const string Channel = "observation_log";

    private readonly PostgresEventLogOptions _options = options ?? new();

    public async Task AppendAsync(IReadOnlyList<LogRecord> records, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await AppendAsync(connection, records, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Appends inside the caller's open transaction, so other writes can commit atomically with
    /// the records. Subscribers are woken when that transaction commits.
    /// </summary>
    public static async Task AppendAsync(NpgsqlConnection connection, IReadOnlyList<LogRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY observation_log (id, org_id, type, schema_version, camera_id, occurred_at, trace_parent, trace_state, payload) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            foreach (var record in records)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(record.Id, NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync(record.OrgId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(record.Type, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(record.SchemaVersion, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(record.CameraId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(record.OccurredAt, NpgsqlDbType.TimestampTz, cancellationToken);
                await WriteNullableAsync(writer, record.TraceParent, cancellationToken);
                await WriteNullableAsync(writer, record.TraceState, cancellationToken);
                await writer.WriteAsync(record.Payload, NpgsqlDbType.Bytea, cancellationToken);
            }
            await writer.CompleteAsync(cancellationToken);
        }
        // Delivered only when the transaction commits, which is exactly when readers may look.
        await using var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', '')", connection);
        await notify.ExecuteNonQueryAsync(cancellationToken);
    }

    public async IAsyncEnumerable<IReadOnlyList<LogEntry>> SubscribeAsync(
        LogPosition after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var listener = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", listener))
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
                position = page[^1].Position;
                backoff = _options.MinHeldBackDelay;
                yield return page;
                continue;
            }
            if (await HasHeldBackEntriesAsync(cancellationToken))
            {
                // Committed entries wait behind a transaction that is still running; that one may
                // not append (it may not even be ours), so no notification is sure to come.
                await Task.Delay(backoff, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxHeldBackDelay.Ticks));
                continue;
            }
            // Notifications that arrived since the last read are already buffered, so none is
            // lost between the read above and this wait. The timeout only guards against a
            // silently dropped connection.
            await listener.WaitAsync(_options.IdleRecheck, cancellationToken);
        }
    }

    public async Task<LogPosition> LoadCheckpointAsync(string consumer, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT tx_id, seq FROM consumer_checkpoints WHERE consumer = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1))
            : LogPosition.Start;
    }

    /// <summary>
    /// Records how far <paramref name="consumer"/> got, inside the transaction that writes what it
    /// made of those entries: both commit, or neither does. A consumer whose state spans the
    /// checkpoint also records where a restart must re-read from, and what it needs to know to
    /// replay (an opaque JSON document of its own).
    /// </summary>
    public static async Task CommitCheckpointAsync(
        NpgsqlConnection connection, string consumer, LogPosition position, CancellationToken cancellationToken,
        LogPosition? replayFrom = null, string replayState = "{}")
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO consumer_checkpoints (consumer, tx_id, seq, replay_tx_id, replay_seq, replay_state) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT (consumer) DO UPDATE SET tx_id = excluded.tx_id, seq = excluded.seq,
                replay_tx_id = excluded.replay_tx_id, replay_seq = excluded.replay_seq, replay_state = excluded.replay_state, updated_at = now()
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        command.Parameters.Add(new NpgsqlParameter { Value = position.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = position.Seq });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)replayFrom?.TxId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)replayFrom?.Seq ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = replayState });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The checkpoint with where to replay from (the checkpoint itself when nothing spans it).</summary>
    public async Task<(LogPosition Checkpoint, LogPosition ReplayFrom, string ReplayState)> LoadReplayCheckpointAsync(
        string consumer, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT tx_id, seq, replay_tx_id, replay_seq, replay_state::text FROM consumer_checkpoints WHERE consumer = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return (LogPosition.Start, LogPosition.Start, "{}");
        }
        var checkpoint = new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1));
        var replayFrom = reader.IsDBNull(2) ? checkpoint : new LogPosition(reader.GetFieldValue<ulong>(2), reader.GetInt64(3));
        return (checkpoint, replayFrom, reader.GetString(4));
    }

    private async Task<List<LogEntry>> ReadPageAsync(LogPosition after, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT tx_id, seq, recorded_at, id, org_id, type, schema_version, camera_id, occurred_at, trace_parent, trace_state, payload
            FROM observation_log
            WHERE (tx_id, seq) > ($1, $2) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY tx_id, seq
            LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = after.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = after.Seq });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.PageSize });

        var page = new List<LogEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var record = new LogRecord(
                reader.GetGuid(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetInt32(6),
                reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.GetFieldValue<byte[]>(11));
            page.Add(new LogEntry(
                new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1)),
                reader.GetFieldValue<DateTimeOffset>(2),
                record));
        }
        return page;
    }

    private async Task<bool> HasHeldBackEntriesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM observation_log WHERE tx_id >= pg_snapshot_xmin(pg_current_snapshot()))");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter writer, string? value, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
}

public sealed record PostgresEventLogOptions
{
    /// <summary>Most entries handed to a subscriber at once.</summary>
    public int PageSize { get; init; } = 5000;

    public TimeSpan MinHeldBackDelay { get; init; } = TimeSpan.FromMilliseconds(1);

    public TimeSpan MaxHeldBackDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Re-read after this long without a notification, in case the listening connection died quietly.</summary>
    public TimeSpan IdleRecheck { get; init; } = TimeSpan.FromSeconds(10);
}
