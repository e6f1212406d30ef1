using System.Globalization;

namespace Analytics.Tests.Platform;

/// <summary>
/// Makes every insert of one organization's rows into a table fail with a chosen SQLSTATE, as a
/// fault of the database or of the code would, until disposed; other organizations are untouched.
/// </summary>
public sealed class DatabaseFault : IAsyncDisposable
{
    private readonly PlatformFixture _platform;
    private readonly string _name;

    private DatabaseFault(PlatformFixture platform, string name, string message)
    {
        _platform = platform;
        _name = name;
        Message = message;
    }

    /// <summary>The text of the error the database raises, unique to this fault.</summary>
    public string Message { get; }

    /// <summary>
    /// The fault on inserts of <paramref name="orgId"/>'s rows into <paramref name="table"/>, with
    /// <paramref name="sqlState"/>: for example 40001 (serialization failure, transient) or 23514
    /// (check violation, a bug).
    /// </summary>
    public static async Task<DatabaseFault> InjectAsync(PlatformFixture platform, string table, string orgId, string sqlState)
    {
        var name = $"test_fault_{Guid.NewGuid():N}";
        var fault = new DatabaseFault(platform, name, $"injected fault {name}");
        // Ids and codes are generated here, never taken from input, so inlining them is safe.
        await platform.ExecuteAsync(string.Create(CultureInfo.InvariantCulture, $"""
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{fault.Message}' USING ERRCODE = '{sqlState}'; END $$;
            CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW WHEN (NEW.org_id = '{orgId}') EXECUTE FUNCTION {name}();
            """));
        return fault;
    }

    public async ValueTask DisposeAsync() => await _platform.ExecuteAsync($"DROP FUNCTION {_name}() CASCADE");
}
