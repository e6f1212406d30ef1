using Npgsql;
using NpgsqlTypes;

namespace Analytics.EventLog;

/// <summary>An entry a consumer could not apply, as the API lists it.</summary>
public sealed record DeadLetter(long Id, string Consumer, string? OrgId, LogPosition Position, string Entry, string Error, DateTimeOffset FailedAt);

/// <summary>The owner of <c>consumer_dead_letters</c> (migration 0014).</summary>
public static class DeadLetters
{
    /// <summary>Keeps an entry <paramref name="consumer"/> could not apply, inside the caller's transaction (the one that moves its checkpoint past it).</summary>
    public static async Task InsertAsync(
        NpgsqlConnection connection, string consumer, LogPosition position, EntryDescription entry, string error, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO consumer_dead_letters (consumer, org_id, tx_id, seq, entry, error) VALUES ($1, $2, $3, $4, $5::jsonb, $6)
            ON CONFLICT (consumer, tx_id, seq) DO NOTHING
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.OrgId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = position.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = position.Seq });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Json });
        command.Parameters.Add(new NpgsqlParameter { Value = error });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The positions after <paramref name="after"/> that <paramref name="consumer"/> dead-lettered: a replay leaves them out.</summary>
    public static async Task<IReadOnlySet<LogPosition>> PositionsAfterAsync(
        NpgsqlDataSource dataSource, string consumer, LogPosition after, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT tx_id, seq FROM consumer_dead_letters WHERE consumer = $1 AND (tx_id, seq) > ($2, $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        command.Parameters.Add(new NpgsqlParameter { Value = after.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = after.Seq });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var positions = new HashSet<LogPosition>();
        while (await reader.ReadAsync(cancellationToken))
        {
            positions.Add(new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1)));
        }
        return positions;
    }

    /// <summary>
    /// An organization's dead letters, newest first, <paramref name="limit"/> at a time, those
    /// before <paramref name="before"/> (the failure time and id of the last one of the previous page).
    /// </summary>
    public static async Task<List<DeadLetter>> ListAsync(
        NpgsqlConnection connection, string orgId, (DateTimeOffset FailedAt, long Id)? before, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT id, consumer, org_id, tx_id, seq, entry::text, error, failed_at FROM consumer_dead_letters
            WHERE org_id = $1 AND ($2::timestamptz IS NULL OR (failed_at, id) < ($2, $3))
            ORDER BY failed_at DESC, id DESC LIMIT $4
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)before?.FailedAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = before?.Id ?? 0L });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var letters = new List<DeadLetter>();
        while (await reader.ReadAsync(cancellationToken))
        {
            letters.Add(new DeadLetter(
                reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                new LogPosition(reader.GetFieldValue<ulong>(3), reader.GetInt64(4)),
                reader.GetString(5), reader.GetString(6), reader.GetFieldValue<DateTimeOffset>(7)));
        }
        return letters;
    }
}
