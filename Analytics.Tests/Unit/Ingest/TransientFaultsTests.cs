using Analytics.Ingest.Observations;
using Npgsql;

namespace Analytics.Tests.Ingest;

/// <summary>Only what a retry can fix is answered 503 with Retry-After; a bug is not.</summary>
public sealed class TransientFaultsTests
{
    public static TheoryData<string, Exception, bool> Faults => new()
    {
        { "serialization failure", new PostgresException("could not serialize access", "ERROR", "ERROR", "40001"), true },
        { "deadlock", new PostgresException("deadlock detected", "ERROR", "ERROR", "40P01"), true },
        { "server shutting down", new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"), true },
        { "too many connections", new PostgresException("sorry, too many clients already", "FATAL", "FATAL", "53300"), true },
        // What Npgsql throws when no pooled connection frees up within the timeout.
        { "pool exhausted", new NpgsqlException("The connection pool has been exhausted", new TimeoutException()), true },
        { "connection lost", new NpgsqlException("Exception while reading from stream", new IOException("reset")), true },
        { "timeout", new TimeoutException(), true },
        { "secret destroyed as it was created", new RetryableFaultException("send the batch again"), true },
        { "undefined table", new PostgresException("relation does not exist", "ERROR", "ERROR", "42P01"), false },
        { "check violation", new PostgresException("violates check constraint", "ERROR", "ERROR", "23514"), false },
        { "broken invariant", new InvalidOperationException("a bug"), false },
        { "unreadable payload", new FormatException("a bug"), false },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void Only_faults_a_retry_can_fix_are_transient(string what, Exception fault, bool transient) =>
        Assert.True(TransientFaults.IsTransient(fault) == transient, $"{what}: expected transient = {transient}");
}
