using Dapper;
using Npgsql;

namespace Analytics.Data;

/// <summary>
/// A statement the database may refuse for an expected reason (a foreign key naming a missing
/// row), run inside the caller's transaction. A refused statement aborts its whole transaction, so
/// it runs behind a savepoint: after a refusal the transaction is as it was and the caller can
/// still ask why, or go on.
/// </summary>
internal static class Refusable
{
    public static async Task<(T Value, bool Refused)> RunAsync<T>(
        NpgsqlConnection connection, Func<Task<T>> statement, Func<PostgresException, bool> expected, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition("SAVEPOINT refusable", cancellationToken: cancellationToken));
        try
        {
            var value = await statement();
            await connection.ExecuteAsync(new CommandDefinition("RELEASE SAVEPOINT refusable", cancellationToken: cancellationToken));
            return (value, false);
        }
        catch (PostgresException exception) when (expected(exception))
        {
            await connection.ExecuteAsync(new CommandDefinition("ROLLBACK TO SAVEPOINT refusable", cancellationToken: cancellationToken));
            return (default!, true);
        }
    }
}
