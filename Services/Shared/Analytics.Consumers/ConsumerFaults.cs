using System.Net.Sockets;
using Npgsql;

namespace Analytics.Consumers;

/// <summary>Tells a fault of an entry (a retry repeats it) from a fault of the moment (a retry may cure it).</summary>
public static class ConsumerFaults
{
    /// <summary>
    /// Whether applying an entry failed because of the entry: our code refused it (a broken
    /// invariant, a value it cannot read) or the database refused its data (an invalid value, a
    /// broken constraint, a trigger's exception). Starting over would fail on it again, forever.
    /// Not an entry's fault: the connection, the server, a timeout, a conflicting transaction,
    /// the schema or permissions; those are retried with backoff, however long they last.
    /// </summary>
    public static bool IsEntryFault(Exception error) => error switch
    {
        OperationCanceledException or TimeoutException or SocketException or IOException => false,
        PostgresException postgres => postgres.SqlState.StartsWith("22", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("23", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("P0", StringComparison.Ordinal),
        NpgsqlException => false,
        _ => true,
    };
}
