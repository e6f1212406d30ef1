using Npgsql;

namespace Analytics.Ingest.Observations;

/// <summary>A state that sending the same request again resolves (a race with maintenance), not a bug.</summary>
public sealed class RetryableFaultException(string message) : Exception(message);

/// <summary>
/// Which failures an edge device should retry (503 with Retry-After) and which are bugs (500): only
/// what a retry can fix is transient, so a broken invariant or a schema that does not match the
/// code is reported as the fault it is, instead of every device repeating the batch forever.
/// </summary>
public static class TransientFaults
{
    /// <summary>
    /// Transient: Npgsql's own verdict (a lost or refused connection, the pool exhausted, a command
    /// timeout, serialization failures, deadlocks, a server shutting down or short of resources),
    /// a timeout, or a <see cref="RetryableFaultException"/>. Anything else, an
    /// <see cref="InvalidOperationException"/> or a constraint violation included, is a bug.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        NpgsqlException npgsql => npgsql.IsTransient,
        TimeoutException or RetryableFaultException => true,
        _ => false,
    };
}
