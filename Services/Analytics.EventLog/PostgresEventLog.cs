using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.EventLog;

/// <summary>
/// The log in Postgres (<c>observation_log</c>, see migration 0002). Appends are one binary COPY
/// per batch; subscribers read it through a <see cref="PostgresFeed{T}"/>, so a late commit is read
/// when it lands instead of being skipped, and wake on LISTEN/NOTIFY.
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
        using var rows = new LogRows(records.Count, records.Sum(record => record.Payload.Length));
        foreach (var record in records)
        {
            rows.Add(record);
        }
        await AppendAsync(connection, [rows], cancellationToken);
    }

    /// <summary>
    /// Appends rows encoded by producers, all in one COPY, inside the caller's open transaction.
    /// Subscribers are woken when that transaction commits.
    /// </summary>
    public static async Task AppendAsync(NpgsqlConnection connection, IReadOnlyList<LogRows> batches, CancellationToken cancellationToken)
    {
        if (batches.All(rows => rows.Count == 0))
        {
            return;
        }
        await using (var copy = await connection.BeginRawBinaryCopyAsync(
            $"COPY observation_log ({LogRows.Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            await copy.WriteAsync(LogRows.CopyHeader, cancellationToken);
            foreach (var rows in batches)
            {
                await copy.WriteAsync(rows.Written, cancellationToken);
            }
            await copy.WriteAsync(LogRows.CopyTrailer, cancellationToken);
        }
        // Delivered only when the transaction commits, which is exactly when readers may look.
        await using var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', '')", connection);
        await notify.ExecuteNonQueryAsync(cancellationToken);
    }

    public IAsyncEnumerable<IReadOnlyList<LogEntry>> SubscribeAsync(LogPosition after, CancellationToken cancellationToken) =>
        SubscribeAsync(Feed(payloadTypes: null), after, cancellationToken);

    public IAsyncEnumerable<IReadOnlyList<LogEntry>> SubscribeAsync(LogPosition after, IReadOnlySet<string> payloadTypes, CancellationToken cancellationToken) =>
        SubscribeAsync(Feed(payloadTypes), after, cancellationToken);

    private async IAsyncEnumerable<IReadOnlyList<LogEntry>> SubscribeAsync(
        PostgresFeedDefinition<LogEntry> feed, LogPosition after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var (page, _) in new PostgresFeed<LogEntry>(dataSource, feed, _options).SubscribeAsync(after, cancellationToken))
        {
            yield return page;
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

    /// <summary>
    /// The log as a feed. With <paramref name="payloadTypes"/>, the server leaves out the payload and
    /// trace context of every other type: a reader that only counts those entries' event times
    /// then neither receives nor decodes their bytes. The types are written into the SQL (the plan
    /// is the same for every page), so they must be plain event type names.
    /// </summary>
    private static PostgresFeedDefinition<LogEntry> Feed(IReadOnlySet<string>? payloadTypes)
    {
        var kept = payloadTypes is null ? null : TypeList(payloadTypes);
        string Kept(string column) => kept is null ? column : $"CASE WHEN type IN ({kept}) THEN {column} END";
        return new PostgresFeedDefinition<LogEntry>(
            "observation_log",
            Channel,
            $"id, org_id, type, schema_version, camera_id, occurred_at, {Kept("trace_parent")}, {Kept("trace_state")}, {Kept("payload")}",
            (reader, position) => new LogEntry(
                position,
                new LogRecord(
                    reader.GetGuid(2),
                    reader.GetString(3),
                    reader.GetString(4),
                    reader.GetInt32(5),
                    reader.GetString(6),
                    reader.GetFieldValue<DateTimeOffset>(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.IsDBNull(9) ? null : reader.GetString(9),
                    // The payload column is NOT NULL: null here is a payload left out on purpose.
                    reader.IsDBNull(10) ? ReadOnlyMemory<byte>.Empty : reader.GetFieldValue<byte[]>(10))));
    }

    private static string TypeList(IReadOnlySet<string> types)
    {
        if (types.Count == 0)
        {
            return "NULL";
        }
        foreach (var type in types)
        {
            if (type.Length == 0 || !type.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            {
                throw new ArgumentException($"'{type}' is not an event type name (lower-case letters, digits and underscores)", nameof(types));
            }
        }
        return string.Join(", ", types.Order(StringComparer.Ordinal).Select(type => $"'{type}'"));
    }
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
