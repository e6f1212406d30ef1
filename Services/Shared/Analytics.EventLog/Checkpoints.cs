using Npgsql;
using NpgsqlTypes;

namespace Analytics.EventLog;

/// <summary>The owner of <c>consumer_checkpoints</c>: where each consumer stands in its log.</summary>
public static class Checkpoints
{
    public static async Task<Checkpoint> LoadAsync(NpgsqlDataSource dataSource, string consumer, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT tx_id, seq, replay_tx_id, replay_seq, replay_state::text FROM consumer_checkpoints WHERE consumer = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return Checkpoint.Start;
        }
        var position = new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1));
        var replayFrom = reader.IsDBNull(2) ? position : new LogPosition(reader.GetFieldValue<ulong>(2), reader.GetInt64(3));
        return new Checkpoint(position, replayFrom, reader.GetString(4));
    }

    /// <summary>
    /// Records how far <paramref name="consumer"/> got, inside the transaction that writes what it
    /// made of those entries: both commit, or neither does.
    /// </summary>
    public static async Task CommitAsync(NpgsqlConnection connection, string consumer, Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        // A replay position equal to the checkpoint means nothing spans it; stored as NULL, as before.
        var replayFrom = checkpoint.ReplayFrom == checkpoint.Position ? (LogPosition?)null : checkpoint.ReplayFrom;
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO consumer_checkpoints (consumer, tx_id, seq, replay_tx_id, replay_seq, replay_state) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT (consumer) DO UPDATE SET tx_id = excluded.tx_id, seq = excluded.seq,
                replay_tx_id = excluded.replay_tx_id, replay_seq = excluded.replay_seq, replay_state = excluded.replay_state, updated_at = now()
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Position.TxId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Position.Seq });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)replayFrom?.TxId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)replayFrom?.Seq ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = checkpoint.ReplayState });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
