using Npgsql;

namespace Analytics.EventLog;

/// <summary>
/// Binary COPY into a table under row-level security. Postgres refuses <c>COPY ... FROM</c> into
/// such a table for any role that does not bypass it ("COPY FROM not supported with row-level
/// security"), so rows are copied into a temporary table of the session first, which has no
/// policies, then moved with one <c>INSERT ... SELECT</c>, whose rows the policies check.
/// </summary>
/// <remarks>
/// The temporary table is made once per database session and kept (the data sources do not reset
/// sessions, see AddAnalyticsDataSource); it is emptied by the move and, should a transaction end
/// between copy and move, truncated in place when the next transaction commits (ON COMMIT DELETE
/// ROWS), so a session's staging never grows. Rows move in the order they were copied.
/// </remarks>
/// <param name="table">The target table.</param>
/// <param name="columns">The columns copied, in order.</param>
/// <param name="columnDefinitions">The same columns with their types, for the temporary table.</param>
public sealed class StagingTable(string table, string columns, string columnDefinitions)
{
    private readonly string _prepare =
        $"CREATE TEMP TABLE IF NOT EXISTS {table}_staging (ordinal bigint GENERATED ALWAYS AS IDENTITY, {columnDefinitions}) ON COMMIT DELETE ROWS";

    /// <summary>The COPY statement that fills the staging table; run it after <see cref="PrepareAsync"/>.</summary>
    public string CopyCommand { get; } = $"COPY pg_temp.{table}_staging ({columns}) FROM STDIN (FORMAT BINARY)";

    private readonly string _move =
        $"WITH moved AS (DELETE FROM pg_temp.{table}_staging RETURNING *) INSERT INTO {table} ({columns}) SELECT {columns} FROM moved ORDER BY ordinal";

    /// <summary>Makes the session's staging table unless it exists.</summary>
    public async Task PrepareAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_prepare, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Moves every staged row into the table, inside the caller's transaction; returns how many.</summary>
    public async Task<int> MoveAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_move, connection);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
