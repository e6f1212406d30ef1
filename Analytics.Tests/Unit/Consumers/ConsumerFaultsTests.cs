using System.Text.Json;
using Analytics.Consumers;
using Npgsql;

namespace Analytics.Tests.Consumers;

/// <summary>An entry is set aside only for faults a retry would repeat; the moment's faults are retried.</summary>
public sealed class ConsumerFaultsTests
{
    public static TheoryData<Exception, bool> Faults() => new()
    {
        // Our code refused the entry.
        { new InvalidOperationException("change does not follow its incident's history"), true },
        { new FormatException("'weird' is not a Domain"), true },
        { new JsonException("bad payload"), true },
        { new KeyNotFoundException(), true },
        // The database refused the entry's data.
        { new PostgresException("invalid input", "ERROR", "ERROR", "22P02"), true },
        { new PostgresException("duplicate key", "ERROR", "ERROR", "23505"), true },
        { new PostgresException("raised by trigger", "ERROR", "ERROR", "P0001"), true },
        // The moment, the server or the setup: starting over may cure them, and they are no entry's fault.
        { new TimeoutException(), false },
        { new NpgsqlException("connection reset", new IOException()), false },
        { new PostgresException("could not serialize", "ERROR", "ERROR", "40001"), false },
        { new PostgresException("too many connections", "FATAL", "FATAL", "53300"), false },
        { new PostgresException("permission denied", "ERROR", "ERROR", "42501"), false },
        { new PostgresException("relation does not exist", "ERROR", "ERROR", "42P01"), false },
        { new OperationCanceledException(), false },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void Entry_faults_are_the_entrys_data_or_our_code_refusing_it(Exception error, bool isEntryFault) =>
        Assert.Equal(isEntryFault, ConsumerFaults.IsEntryFault(error));
}
