using Npgsql;

namespace Analytics.EventLog;

/// <summary>
/// The observation log in Postgres (<c>observation_log</c>, see migration 0002). Appends are one
/// binary COPY per batch; subscribers read it through a <see cref="PostgresFeed{T}"/>, so a late
/// commit is read when it lands instead of being skipped, and wake on LISTEN/NOTIFY.
/// </summary>
public sealed class PostgresEventLog(NpgsqlDataSource dataSource, PostgresEventLogOptions? options = null) : IEventLog<LogEntry>
{
    public const string Channel = "observation_log";

    // Row-level security refuses COPY into the log (migration 0016): rows are copied into the
    // session's staging table and moved from there, under the policies.
    private static readonly StagingTable Staging = new("observation_log", LogRows.Columns, LogRows.ColumnDefinitions);

    private readonly PostgresLog<LogEntry> _all = new(dataSource, Feed(payloadTypes: null), options);

    /// <summary>Appends the records in one transaction; returns once they are committed.</summary>
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
    /// Subscribers are woken when that transaction commits. Under a request role's row-level
    /// security every row must be of the transaction's organization.
    /// </summary>
    public static async Task AppendAsync(NpgsqlConnection connection, IReadOnlyList<LogRows> batches, CancellationToken cancellationToken)
    {
        if (batches.All(rows => rows.Count == 0))
        {
            return;
        }
        await Staging.PrepareAsync(connection, cancellationToken);
        await using (var copy = await connection.BeginRawBinaryCopyAsync(Staging.CopyCommand, cancellationToken))
        {
            await copy.WriteAsync(LogRows.CopyHeader, cancellationToken);
            foreach (var rows in batches)
            {
                await copy.WriteAsync(rows.Written, cancellationToken);
            }
            await copy.WriteAsync(LogRows.CopyTrailer, cancellationToken);
        }
        await Staging.MoveAsync(connection, cancellationToken);
        // Delivered only when the transaction commits, which is exactly when readers may look.
        await using var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', '')", connection);
        await notify.ExecuteNonQueryAsync(cancellationToken);
    }

    public IAsyncEnumerable<LogPage<LogEntry>> SubscribeAsync(LogPosition after, CancellationToken cancellationToken) =>
        _all.SubscribeAsync(after, cancellationToken);

    public Task<Checkpoint> LoadCheckpointAsync(string consumer, CancellationToken cancellationToken) =>
        _all.LoadCheckpointAsync(consumer, cancellationToken);

    public Task CommitCheckpointAsync(NpgsqlConnection connection, string consumer, Checkpoint checkpoint, CancellationToken cancellationToken) =>
        _all.CommitCheckpointAsync(connection, consumer, checkpoint, cancellationToken);

    public Task<EntryDescription> DescribeAsync(NpgsqlConnection connection, LogPosition position, CancellationToken cancellationToken) =>
        _all.DescribeAsync(connection, position, cancellationToken);

    /// <summary>
    /// The log for a reader that decodes only <paramref name="payloadTypes"/>: entries of other
    /// types still come, in order, but as their envelope alone (id, organization, type, version,
    /// camera, event time), without payload or trace context, which is most of what reading them
    /// costs.
    /// </summary>
    public IEventLog<LogEntry> Projected(IReadOnlySet<string> payloadTypes) =>
        new PostgresLog<LogEntry>(dataSource, Feed(payloadTypes), options);

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
                    reader.IsDBNull(10) ? ReadOnlyMemory<byte>.Empty : reader.GetFieldValue<byte[]>(10))),
            JsonPayloadColumn: "payload");
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
