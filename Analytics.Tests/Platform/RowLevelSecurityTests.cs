using System.Text.Json;
using Analytics.Data.Registry;
using Analytics.Schemas.Contracts;
using Npgsql;

namespace Analytics.Tests.Platform;

/// <summary>
/// Tenant isolation as the database enforces it (migration 0016), checked in SQL as the roles the
/// services connect as: one row of every tenant table for each of two organizations, then every
/// statement tried under one organization's context against the other's rows. Each test runs in
/// one transaction it rolls back, so its rows never reach the running services.
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
    public Task Under_one_organization_a_request_role_reads_only_that_organizations_rows(string role) =>
        RolledBackAsync(async session =>
        {
            foreach (var table in Tables)
            {
                await session.BecomeAsync(role, "a");
                if (await session.CanAsync(table, "SELECT"))
                {
                    var orgs = await session.ListAsync($"SELECT DISTINCT org_id FROM {table}");
                    Assert.True(orgs.SequenceEqual(["a"]), $"{role} under a read {string.Join(", ", orgs)} from {table}");
                }
            }
            // A person is no organization's row, so users has no org_id: the API sees those with a
            // membership of its organization.
            await session.BecomeAsync(role, "a");
            if (await session.CanAsync("users", "SELECT"))
            {
                Assert.Equal(["a@example.test"], await session.ListAsync("SELECT email FROM users"));
            }
        });

    [Theory]
    [InlineData("analytics_api")]
    [InlineData("analytics_ingest")]
    public Task Under_one_organization_a_request_role_neither_changes_nor_deletes_nor_inserts_another_organizations_rows(string role) =>
        RolledBackAsync(async session =>
        {
            foreach (var table in Tables)
            {
                await session.BecomeAsync(role, "a");
                if (await session.CanAsync(table, "UPDATE"))
                {
                    Assert.Equal(0, await session.ExecuteAsync($"UPDATE {table} SET org_id = org_id WHERE org_id = 'b'"));
                }
                if (await session.CanAsync(table, "DELETE"))
                {
                    Assert.Equal(0, await session.ExecuteAsync($"DELETE FROM {table} WHERE org_id = 'b'"));
                }
                // Inserting a row of the other organization is refused outright, whether the role may
                // insert into the table at all or not.
                var refused = await session.RefusedAsync(SeedStatements("b", suffix: "-forged")[table]);
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            }
            await session.BecomeOwnerAsync();
            foreach (var table in Tables)
            {
                Assert.Equal(["b"], await session.ListAsync($"SELECT org_id FROM {table} WHERE org_id = 'b'"));
            }
        });

    [Theory]
    [InlineData("analytics_api")]
    [InlineData("analytics_ingest")]
    public Task With_no_organization_set_a_request_role_reads_nothing_at_all(string role) =>
        RolledBackAsync(async session =>
        {
            foreach (var table in Tables)
            {
                await session.BecomeAsync(role, orgId: null);
                if (await session.CanAsync(table, "SELECT"))
                {
                    Assert.Empty(await session.ListAsync($"SELECT org_id FROM {table}"));
                }
            }
        });

    [Fact]
    public Task A_store_asked_for_another_organization_gets_nothing_and_cannot_write_there() =>
        RolledBackAsync(async session =>
        {
            // The application's filter says b; the transaction's organization is a.
            await session.BecomeAsync("analytics_api", "a");
            Assert.Empty(await RegistryStore.SitesAsync(session.Connection, "b", CancellationToken.None));
            Assert.Null(await RegistryStore.SiteAsync(session.Connection, "b", "site", CancellationToken.None));

            var refused = await session.RefusedAsync(() => RegistryStore.PutSiteAsync(
                session.Connection, new Site { OrgId = "b", SiteId = "planted", Name = "Planted", TimeZone = "UTC" }, CancellationToken.None));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            Assert.Equal(new DeleteOutcome(false), await RegistryStore.DeleteCameraAsync(session.Connection, "b", "cam", CancellationToken.None));

            await session.BecomeOwnerAsync();
            Assert.Equal(["b"], await session.ListAsync("SELECT org_id FROM cameras WHERE org_id = 'b'"));
            Assert.Empty(await session.ListAsync("SELECT org_id FROM sites WHERE site_id = 'planted'"));
        });

    [Fact]
    public Task The_services_of_every_organization_reach_all_rows_of_the_tables_granted_to_them_and_no_others() =>
        RolledBackAsync(async session =>
        {
            // The rule services read the log and zones and write signals; notification rules, with
            // their signing secrets, are none of their business.
            await session.BecomeAsync("analytics_rules", orgId: null);
            Assert.True(await session.CanAsync("zones", "SELECT"));
            Assert.False(await session.CanAsync("notification_rules", "SELECT"));
            Assert.False(await session.CanAsync("signals", "DELETE"));
            Assert.Equal(["a", "b"], await session.ListAsync("SELECT org_id FROM zones WHERE org_id IN ('a', 'b') ORDER BY org_id"));

            await session.BecomeAsync("analytics_notifier", orgId: null);
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await session.RefusedAsync("DELETE FROM incident_events")).SqlState);
            // People's requests: the API writes them, the notifier only marks them done.
            Assert.Equal(["a", "b"], await session.ListAsync("SELECT org_id FROM notification_requests WHERE org_id IN ('a', 'b') ORDER BY org_id"));
            Assert.Equal(2, await session.ExecuteAsync("UPDATE notification_requests SET done_at = now(), outcome = 'done' WHERE org_id IN ('a', 'b')"));
            Assert.False(await session.CanAsync("notification_requests", "INSERT"));
            Assert.False(await session.CanAsync("notification_requests", "DELETE"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege,
                (await session.RefusedAsync("UPDATE notification_requests SET requested_by = 'someone else'")).SqlState);
            await session.BecomeAsync("analytics_api", "a");
            Assert.False(await session.CanAsync("notification_requests", "UPDATE"));
            Assert.False(await session.CanAsync("notification_requests", "DELETE"));

            await session.BecomeAsync("analytics_fusion", orgId: null);
            Assert.Equal(["a", "b"], await session.ListAsync("SELECT org_id FROM incidents WHERE org_id IN ('a', 'b') ORDER BY org_id"));
        });

    [Fact]
    public Task Audit_events_are_append_only_for_every_role_and_even_the_owner() =>
        RolledBackAsync(async session =>
        {
            foreach (var role in new[] { "analytics_api", "analytics_ingest", "analytics_rules", "analytics_fusion", "analytics_notifier", "analytics_identity" })
            {
                await session.BecomeAsync(role, "a");
                Assert.False(await session.CanAsync("audit_events", "UPDATE"), $"{role} may update audit events");
                Assert.False(await session.CanAsync("audit_events", "DELETE"), $"{role} may delete audit events");
            }
            await session.BecomeAsync("analytics_api", "a");
            Assert.Equal(1, await session.ExecuteAsync(SeedStatements("a", suffix: "-more")["audit_events"]));

            await session.BecomeOwnerAsync();
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await session.RefusedAsync("UPDATE audit_events SET actor = 'someone else'")).SqlState);
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await session.RefusedAsync("DELETE FROM audit_events")).SqlState);
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await session.RefusedAsync("TRUNCATE audit_events")).SqlState);
            Assert.Equal(3, (await session.ListAsync("SELECT org_id FROM audit_events WHERE org_id IN ('a', 'b')")).Count);
        });

    private static IReadOnlyCollection<string> Tables => SeedStatements("x").Keys;

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

    /// <summary>
    /// Runs <paramref name="test"/> in one transaction, as the owner, after seeding organizations
    /// <c>a</c> and <c>b</c> with one row in every tenant table, and rolls it all back. The ids
    /// cannot clash with other tests': the rows are never committed.
    /// </summary>
    private async Task RolledBackAsync(Func<Session, Task> test)
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var session = new Session(connection);
        foreach (var orgId in new[] { "a", "b" })
        {
            foreach (var statement in SeedStatements(orgId).Values)
            {
                await session.ExecuteAsync(statement);
            }
        }
        await test(session);
        await transaction.RollbackAsync();
    }

    /// <summary>
    /// One row of each tenant table for <paramref name="orgId"/>; with a <paramref name="suffix"/>,
    /// another row (a forged one, of an organization and a key that do not exist yet).
    /// </summary>
    private static Dictionary<string, string> SeedStatements(string orgId, string suffix = "")
    {
        var o = orgId + suffix;
        var hash = $"sha256(convert_to('{o}', 'UTF8'))";
        return new Dictionary<string, string>
        {
            ["organizations"] = $"INSERT INTO organizations (org_id, name) VALUES ('{o}', 'Organization')",
            ["api_keys"] = $"INSERT INTO api_keys (key_hash, org_id, name, prefix, scopes) VALUES ({hash}, '{orgId}', 'Key', 'ak_', '{{read}}')",
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
            ["notification_requests"] = $"INSERT INTO notification_requests (request_id, org_id, kind, rule_id, delivery_id, requested_by) " +
                $"VALUES (gen_random_uuid(), '{orgId}', 'test', 'rule', '{o}-requested', 'test')",
            ["memberships"] = $"WITH u AS (INSERT INTO users (user_id, email, password_hash) VALUES (md5('{o}')::uuid, '{o}@example.test', 'x') RETURNING user_id) " +
                $"INSERT INTO memberships (org_id, user_id, org_role) SELECT '{orgId}', user_id, 'viewer' FROM u",
            ["refresh_tokens"] = $"INSERT INTO refresh_tokens (token_hash, org_id, user_id, session_id, expires_at) " +
                $"VALUES ({hash}, '{orgId}', md5('{orgId}')::uuid, gen_random_uuid(), now() + interval '1 hour')",
            ["invitations"] = $"INSERT INTO invitations (invitation_id, token_hash, org_id, email, org_role, invited_by, expires_at) " +
                $"VALUES (gen_random_uuid(), {hash}, '{orgId}', '{o}@example.test', 'viewer', 'test', now() + interval '1 day')",
            ["audit_events"] = $"INSERT INTO audit_events (org_id, event_id, actor, action, target_type, target_id) " +
                $"VALUES ('{orgId}', gen_random_uuid(), 'test', 'site.created', 'site', 'site{suffix}')",
            ["rate_limit_overrides"] = $"INSERT INTO rate_limit_overrides (org_id, service, org_tokens_per_second, org_burst) " +
                $"VALUES ('{orgId}', '{(suffix == "" ? "api" : "ingest")}', 1, 2)",
            ["consumer_dead_letters"] = $"INSERT INTO consumer_dead_letters (consumer, org_id, tx_id, seq, entry, error) " +
                $"VALUES ('{o}', '{orgId}', '1', 1, '{{}}', 'test')",
        };
    }

    /// <summary>The test's transaction, switched between the owner and a service's role.</summary>
    private sealed class Session(NpgsqlConnection connection)
    {
        public NpgsqlConnection Connection => connection;

        /// <summary>Acts as <paramref name="role"/>, with the organization set as a service sets it.</summary>
        public async Task BecomeAsync(string role, string? orgId)
        {
            await ExecuteAsync($"RESET ROLE; SET LOCAL ROLE {role}");
            await using var claims = new NpgsqlCommand("SELECT set_config('request.jwt.claims', $1, true)", connection);
            claims.Parameters.AddWithValue(orgId is null ? "" : JsonSerializer.Serialize(new { app_metadata = new { org_id = orgId } }));
            await claims.ExecuteNonQueryAsync();
        }

        public Task<int> BecomeOwnerAsync() => ExecuteAsync("RESET ROLE");

        public async Task<bool> CanAsync(string table, string privilege)
        {
            await using var command = new NpgsqlCommand("SELECT has_table_privilege(current_user, $1, $2)", connection);
            command.Parameters.AddWithValue(table);
            command.Parameters.AddWithValue(privilege);
            return (bool)(await command.ExecuteScalarAsync())!;
        }

        public async Task<int> ExecuteAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            return await command.ExecuteNonQueryAsync();
        }

        public async Task<List<string>> ListAsync(string sql)
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

        public Task<PostgresException> RefusedAsync(string sql) => RefusedAsync(() => ExecuteAsync(sql));

        /// <summary>The database's refusal of <paramref name="statement"/>, behind a savepoint so the transaction goes on.</summary>
        public async Task<PostgresException> RefusedAsync(Func<Task> statement)
        {
            await ExecuteAsync("SAVEPOINT refused");
            var refusal = await Assert.ThrowsAsync<PostgresException>(statement);
            await ExecuteAsync("ROLLBACK TO SAVEPOINT refused");
            return refusal;
        }
    }
}
