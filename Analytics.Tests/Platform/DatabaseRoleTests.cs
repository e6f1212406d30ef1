using Analytics.Schemas;

namespace Analytics.Tests.Platform;

/// <summary>The services connect to the database as their own roles (migration 0016), never as its owner.</summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class DatabaseRoleTests(PlatformFixture platform)
{
    [Fact]
    public async Task Every_service_connects_as_its_own_role_which_owns_nothing_and_cannot_bypass_row_level_security()
    {
        var expected = new Dictionary<string, string[]>
        {
            ["Analytics.Api"] = [DatabaseRoles.Api],
            ["Analytics.Ingest"] = [DatabaseRoles.Ingest, DatabaseRoles.IngestHousekeeping],
            ["Analytics.Antitheft"] = [DatabaseRoles.Rules],
            ["Analytics.Safety"] = [DatabaseRoles.Rules],
            ["Analytics.Education"] = [DatabaseRoles.Rules],
            ["Analytics.Fusion"] = [DatabaseRoles.Fusion],
            ["Analytics.Notifier"] = [DatabaseRoles.Notifier],
            ["Analytics.Identity"] = [DatabaseRoles.Identity],
        };
        // A request of each kind, so the API and ingest hold a pooled connection; the consumers
        // hold theirs (they listen), and ingest's idle watcher polls as the housekeeping role.
        var (_, key) = await platform.CreateOrganizationAsync();
        using (var api = platform.CreateClient(ResourceNames.Api, key))
        {
            await ProblemAssert.GetAsync(api, "/v1/sites");
        }
        using (var ingest = platform.CreateClient(ResourceNames.Ingest, key))
        {
            using var posted = await ingest.PostAsync("/v1/observations", TestObservations.Batch([TestObservations.Track(DateTimeOffset.UtcNow, "t-1", 0.5, 0.5)]));
            await ProblemAssert.SucceededAsync(posted);
        }

        var seen = await Eventually.Until(
            () => platform.QueryAsync(
                """
                SELECT DISTINCT application_name, usename::text FROM pg_stat_activity
                WHERE datname = current_database() AND application_name LIKE 'Analytics.%'
                """,
                reader => (Service: reader.GetString(0), Role: reader.GetString(1))),
            rows => expected.All(e => e.Value.All(role => rows.Contains((e.Key, role)))),
            "a connection of every service as its role");
        var services = expected.Keys.ToHashSet();
        Assert.All(seen.Where(row => services.Contains(row.Service)), row => Assert.Contains(row.Role, expected[row.Service]));

        var privileged = await platform.QueryAsync(
            """
            SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'analytics\_%' AND (rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb)
            UNION SELECT tableowner::text FROM pg_tables WHERE schemaname = 'public' AND tableowner LIKE 'analytics\_%'
            """,
            reader => reader.GetString(0));
        Assert.Empty(privileged);
    }
}
