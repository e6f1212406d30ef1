using System.Text.Json;
using Npgsql;

namespace Analytics.Tests.Platform;

/// <summary>
/// Tenant isolation as the database enforces it (migration 0016), checked in SQL as the roles the
/// services connect as: one row of every tenant table for each of two organizations, then every
/// statement tried under one organization's context against the other's rows.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class RowLevelSecurityTests(PlatformFixture platform)
{
    private static readonly string[] RequestRoles = ["analytics_api", "analytics_ingest"];

    [Fact]
    public async Task Every_table_with_an_org_id_has_row_level_security_enabled_and_forced()
    {
        var tables = await TenantTablesAsync();
        Assert.Contains("incidents", tables.Keys);
        Assert.Contains("observation_log", tables.Keys);
        Assert.All(tables, table => Assert.True(table.Value, $"{table.Key} holds organizations' rows but row-level security is not enabled and forced"));
        // The seed below has a row in each, so the other tests cover every one of them.
        Assert.Equal(tables.Keys.Order(), SeedStatements("x").Keys.Order());
    }

    [Theory]
    [InlineData("analytics_api")]
    [InlineData("analytics_ingest")]
    public async Task Under_one_organization_a_request_role_reads_only_that_organizations_rows(string role)
    {
        var (a, b) = await SeedTwoOrganizationsAsync();
        foreach (var table in SeedStatements(a).Keys)
        {
            var orgs = await AsRoleAsync(role, a, async connection =>
            {
                if (!await CanAsync(connection, table, "SELECT"))
                {
                    return null;
                }
                return await ListAsync(connection, $"SELECT DISTINCT org_id FROM {table} WHERE org_id IN ('{a}', '{b}')");
            });
            if (orgs is not null)
            {
                Assert.True(orgs.SequenceEqual([a]), $"{role} under {a} read {string.Join(", ", orgs)} from {table}");
            }
        }
    }

    [Theory]
    [InlineData("analytics_api")]
    [InlineData("analytics_ingest")]
    public async Task Under_one_organization_a_request_role_neither_changes_nor_deletes_nor_inserts_another_organizations_rows(string role)
    {
        var (a, b) = await SeedTwoOrganizationsAsync();
        // Fusion may still fold the seeded signal into incidents of b meanwhile, so b's rows may
        // grow, but none may go.
        var before = new Dictionary<string, long>();
        foreach (var table in SeedStatements(b).Keys)
        {
            before[table] = await platform.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE org_id = $1", b);
        }
        foreach (var table in SeedStatements(a).Keys)
        {
            await AsRoleAsync(role, a, async connection =>
            {
                if (await CanAsync(connection, table, "UPDATE"))
                {
                    Assert.Equal(0, await ExecuteAsync(connection, $"UPDATE {table} SET org_id = org_id WHERE org_id = '{b}'"));
                }
                if (await CanAsync(connection, table, "DELETE"))
                {
                    Assert.Equal(0, await ExecuteAsync(connection, $"DELETE FROM {table} WHERE org_id = '{b}'"));
                }
                return 0;
            });
            // Inserting a row of the other organization is refused outright, whether the role may
            // insert into the table at all or not.
            var refused = await Assert.ThrowsAsync<PostgresException>(() => AsRoleAsync(role, a, connection =>
                ExecuteAsync(connection, SeedStatements(b, suffix: "-forged")[table])));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
        foreach (var table in SeedStatements(b).Keys)
        {
            var after = await platform.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE org_id = $1", b);
            Assert.True(after >= before[table], $"{table} had {before[table]} rows of {b} and now has {after}");
        }
    }

    [Theory]
    [InlineData("analytics_api")]
    [InlineData("analytics_ingest")]
    public async Task With_no_organization_set_a_request_role_reads_nothing_at_all(string role)
    {
        await SeedTwoOrganizationsAsync();
        foreach (var table in SeedStatements("x").Keys)
        {
            var count = await AsRoleAsync(role, orgId: null, async connection =>
                await CanAsync(connection, table, "SELECT")
                    ? (long?)await new NpgsqlCommand($"SELECT count(*) FROM {table}", connection).ExecuteScalarAsync()
                    : null);
            Assert.True(count is null or 0, $"{role} with no organization read {count} rows of {table}");
        }
    }

    [Fact]
    public async Task The_services_of_every_organization_reach_only_the_tables_granted_to_them()
    {
        var (a, _) = await SeedTwoOrganizationsAsync();
        // The rule services read the log and zones and write signals; notification rules, with
        // their signing secrets, are none of their business.
        await AsRoleAsync("analytics_rules", null, async connection =>
        {
            Assert.True(await CanAsync(connection, "zones", "SELECT"));
            Assert.False(await CanAsync(connection, "notification_rules", "SELECT"));
            Assert.False(await CanAsync(connection, "signals", "DELETE"));
            return 0;
        });
        var denied = await Assert.ThrowsAsync<PostgresException>(() => AsRoleAsync("analytics_notifier", null, connection =>
            ExecuteAsync(connection, $"DELETE FROM incident_events WHERE org_id = '{a}'")));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        // And they read every organization's rows of what they are granted.
        var orgs = await AsRoleAsync("analytics_fusion", null, connection =>
            ListAsync(connection, $"SELECT DISTINCT org_id FROM incidents WHERE org_id = '{a}'"));
        Assert.Equal([a], orgs);
    }

    private async Task<Dictionary<string, bool>> TenantTablesAsync()
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var command = dataSource.CreateCommand(
            """
            SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var tables = new Dictionary<string, bool>();
        while (await reader.ReadAsync())
        {
            tables[reader.GetString(0)] = reader.GetBoolean(1);
        }
        return tables;
    }

    private async Task<(string A, string B)> SeedTwoOrganizationsAsync()
    {
        var (a, _) = await platform.CreateOrganizationAsync();
        var (b, _) = await platform.CreateOrganizationAsync();
        foreach (var orgId in new[] { a, b })
        {
            foreach (var statement in SeedStatements(orgId).Values)
            {
                await platform.ExecuteAsync(statement);
            }
        }
        return (a, b);
    }

    /// <summary>
    /// One row of each tenant table for <paramref name="orgId"/>. The fixture's organization comes
    /// with its API key, so organizations and api_keys are seeded already; their forged rows are
    /// new ones.
    /// </summary>
    private static Dictionary<string, string> SeedStatements(string orgId, string suffix = "")
    {
        var o = orgId + suffix;
        var hash = $"sha256(convert_to('{o}', 'UTF8'))";
        return new Dictionary<string, string>
        {
            ["organizations"] = suffix == "" ? $"SELECT 1" : $"INSERT INTO organizations (org_id, name) VALUES ('{o}', 'forged')",
            ["api_keys"] = suffix == "" ? "SELECT 1" : $"INSERT INTO api_keys (key_hash, org_id, name) VALUES ({hash}, '{orgId}', 'forged')",
            ["sites"] = $"INSERT INTO sites (org_id, site_id, name, time_zone) VALUES ('{orgId}', 'site{suffix}', 'Site', 'UTC')",
            ["cameras"] = $"INSERT INTO cameras (org_id, camera_id, site_id, name) VALUES ('{orgId}', 'cam{suffix}', 'site', 'Camera')",
            ["zones"] = $"INSERT INTO zones (org_id, zone_id, site_id, camera_id, document) VALUES ('{orgId}', 'zone{suffix}', 'site', 'cam', '{{}}')",
            ["camera_activity"] = $"INSERT INTO camera_activity (org_id, camera_id, last_seen_at) VALUES ('{orgId}', 'cam{suffix}', now())",
            ["observation_log"] = $"INSERT INTO observation_log (id, org_id, type, schema_version, camera_id, occurred_at, payload) " +
                $"VALUES (gen_random_uuid(), '{orgId}', 'object_track', 1, 'cam', now(), '\\x7b7d')",
            ["subject_key_secrets"] = $"INSERT INTO subject_key_secrets (org_id, day, secret) VALUES ('{orgId}', '2001-01-0{(suffix == "" ? 1 : 2)}', {hash})",
            ["ingest_idempotency_keys"] = $"INSERT INTO ingest_idempotency_keys (org_id, idempotency_key, request_hash, status_code, response_body) " +
                $"VALUES ('{orgId}', 'key{suffix}', {hash}, 200, '\\x7b7d')",
            ["signals"] = $"INSERT INTO signals (org_id, signal_id, domain, kind, severity, confidence, site_id, camera_id, track_ids, started_at, ended_at, document) " +
                $"VALUES ('{orgId}', 'signal{suffix}', 'safety', 'intrusion', 'high', 1, 'site', 'cam', '{{}}', now(), now(), '{{}}')",
            ["incident_events"] = $"INSERT INTO incident_events (org_id, incident_id, version, type, at, document) VALUES ('{orgId}', 'incident{suffix}', 1, 'opened', now(), '{{}}')",
            ["incidents"] = $"INSERT INTO incidents (org_id, incident_id, group_key, domain, kind, severity, severity_rank, status, site_id, signal_count, signal_kinds, " +
                $"opened_at, updated_at, last_signal_at, last_activity_at, version) VALUES ('{orgId}', 'incident{suffix}', 'g', 'safety', 'intrusion', 'high', 3, 'open', " +
                $"'site', 1, '{{intrusion}}', now(), now(), now(), now(), 1)",
            ["silences"] = $"INSERT INTO silences (org_id, silence_id, starts_at, ends_at, document) VALUES ('{orgId}', 'silence{suffix}', now(), now() + interval '1 hour', '{{}}')",
            ["notification_rules"] = $"INSERT INTO notification_rules (org_id, rule_id, document, signing_secret) VALUES ('{orgId}', 'rule{suffix}', '{{}}', 'secret')",
            ["deliveries"] = $"INSERT INTO deliveries (delivery_id, org_id, kind, status, reason, idempotency_key, decided_at) " +
                $"VALUES ('{o}-delivery', '{orgId}', 'notification', 'sent', 'test', '{o}-delivery', now())",
            ["delivery_attempts"] = $"INSERT INTO delivery_attempts (org_id, delivery_id, attempt, outcome, started_at) " +
                $"VALUES ('{orgId}', '{orgId}-delivery', {(suffix == "" ? 1 : 2)}, 'sent', now())",
            ["consumer_dead_letters"] = $"INSERT INTO consumer_dead_letters (consumer, org_id, tx_id, seq, entry, error) " +
                $"VALUES ('{o}', '{orgId}', '1', 1, '{{}}', 'test')",
        };
    }

    /// <summary>
    /// Runs <paramref name="action"/> in a transaction as <paramref name="role"/>, with the
    /// organization set as a service sets it, then rolls back.
    /// </summary>
    private async Task<T> AsRoleAsync<T>(string role, string? orgId, Func<NpgsqlConnection, Task<T>> action)
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await ExecuteAsync(connection, $"SET LOCAL ROLE {role}");
        if (orgId is not null)
        {
            await using var claims = new NpgsqlCommand("SELECT set_config('request.jwt.claims', $1, true)", connection);
            claims.Parameters.AddWithValue(JsonSerializer.Serialize(new { app_metadata = new { org_id = orgId } }));
            await claims.ExecuteNonQueryAsync();
        }
        return await action(connection);
    }

    private static async Task<bool> CanAsync(NpgsqlConnection connection, string table, string privilege)
    {
        await using var command = new NpgsqlCommand("SELECT has_table_privilege(current_user, $1, $2)", connection);
        command.Parameters.AddWithValue(table);
        command.Parameters.AddWithValue(privilege);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> ListAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }
        return values;
    }
}
