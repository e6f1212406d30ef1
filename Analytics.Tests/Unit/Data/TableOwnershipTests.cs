using System.Text.RegularExpressions;

namespace Analytics.Tests.Data;

/// <summary>
/// Every table has one owner: its SQL appears in one store and nowhere else in the services, and
/// only the stores (and the log, which is its own owner) talk to the database. Scans the source, so
/// a query written into a handler, a consumer or a tool fails here instead of in review.
/// </summary>
public sealed partial class TableOwnershipTests
{
    private const string Data = "Services/Shared/Analytics.Data/";

    /// <summary>Each table and the one file whose SQL may name it.</summary>
    private static readonly Dictionary<string, string> Owners = new(StringComparer.Ordinal)
    {
        ["organizations"] = Data + "Tenancy/OrganizationStore.cs",
        ["api_keys"] = Data + "Tenancy/ApiKeyStore.cs",
        ["rate_limit_overrides"] = Data + "Tenancy/RateLimitOverrideStore.cs",
        ["sites"] = Data + "Registry/RegistryStore.cs",
        ["cameras"] = Data + "Registry/RegistryStore.cs",
        ["zones"] = Data + "Registry/RegistryStore.cs",
        ["camera_activity"] = Data + "Registry/RegistryStore.cs",
        ["incident_events"] = Data + "Incidents/IncidentStore.cs",
        ["incidents"] = Data + "Incidents/IncidentStore.cs",
        ["silences"] = Data + "Incidents/SilenceStore.cs",
        ["signals"] = Data + "Signals/SignalStore.cs",
        ["notification_rules"] = Data + "Notifications/NotificationRuleStore.cs",
        ["deliveries"] = Data + "Notifications/DeliveryStore.cs",
        ["delivery_attempts"] = Data + "Notifications/DeliveryStore.cs",
        ["notification_requests"] = Data + "Notifications/NotificationRequestStore.cs",
        ["subject_key_secrets"] = Data + "Privacy/SubjectKeySecretStore.cs",
        ["ingest_idempotency_keys"] = Data + "Ingest/IdempotencyKeys.cs",
        ["users"] = Data + "Identity/UserStore.cs",
        ["memberships"] = Data + "Identity/UserStore.cs",
        ["refresh_tokens"] = Data + "Identity/UserStore.cs",
        ["invitations"] = Data + "Identity/UserStore.cs",
        ["identity_signing_keys"] = Data + "Identity/SigningKeyStore.cs",
        ["audit_events"] = Data + "Audit/AuditStore.cs",
        // The log and its consumers' checkpoints are their own owner, behind the log interface.
        ["observation_log"] = "Services/Shared/Analytics.EventLog/PostgresEventLog.cs",
        ["consumer_checkpoints"] = "Services/Shared/Analytics.EventLog/Checkpoints.cs",
        ["consumer_dead_letters"] = "Services/Shared/Analytics.EventLog/DeadLetters.cs",
    };

    /// <summary>
    /// Files outside the stores that may still send SQL, and why: the log's own implementation, the
    /// migrations worker (the schema's owner), and the log's partition maintenance, which calls the
    /// migration's functions and moves with the log when it is redesigned.
    /// </summary>
    private static readonly string[] AllowedOutsideStores =
    [
        "Services/Shared/Analytics.EventLog/",
        "Services/Analytics.Migrations/",
        "Services/Analytics.Ingest/Observations/ObservationLogMaintenance.cs",
    ];

    [Fact]
    public void Every_table_the_migrations_create_has_an_owner()
    {
        var created = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "Services/Analytics.Migrations/Scripts"), "*.sql")
            .SelectMany(file => CreateTable().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(created);
        Assert.Empty(created.Except(Owners.Keys));
    }

    [Fact]
    public void A_table_is_named_in_sql_only_by_its_owner()
    {
        var strays = new List<string>();
        foreach (var (path, text) in ServiceSources())
        {
            foreach (var (table, owner) in Owners)
            {
                if (path != owner && SqlNaming(table).IsMatch(text))
                {
                    strays.Add($"{path} names {table} in SQL; only {owner} may");
                }
            }
        }

        Assert.Empty(strays);
    }

    [Fact]
    public void Only_the_stores_send_sql()
    {
        var strays = ServiceSources()
            .Where(source => !source.Path.StartsWith(Data, StringComparison.Ordinal)
                             && !AllowedOutsideStores.Any(allowed => source.Path.StartsWith(allowed, StringComparison.Ordinal))
                             && DatabaseAccess().IsMatch(source.Text))
            .Select(source => $"{source.Path}: {DatabaseAccess().Match(source.Text).Value}")
            .ToList();

        Assert.Empty(strays);
    }

    [Fact]
    public void The_guard_sees_a_stray_query()
    {
        // The patterns must catch SQL as the services write it, or the two tests above prove nothing.
        Assert.Matches(SqlNaming("cameras"), "SELECT site_id FROM cameras WHERE org_id = $1");
        Assert.Matches(SqlNaming("incidents"), "SELECT {StateColumnsOf(\"i\")} FROM incidents i JOIN camera_activity a");
        Assert.Matches(SqlNaming("camera_activity"), "JOIN camera_activity a ON a.org_id = i.org_id");
        Assert.Matches(SqlNaming("deliveries"), "UPDATE deliveries SET payload = $2::jsonb");
        Assert.DoesNotMatch(SqlNaming("incidents"), "SELECT 1 FROM incident_events");
        Assert.Matches(DatabaseAccess(), "await using var command = dataSource.CreateCommand(\"DELETE FROM zones\");");
        Assert.Matches(DatabaseAccess(), "await connection.QueryAsync<string>(\"SELECT 1\")");
    }

    private static Regex SqlNaming(string table) =>
        new($@"\b(FROM|INTO|UPDATE|JOIN|TABLE|COPY)\s+{Regex.Escape(table)}\b", RegexOptions.CultureInvariant);

    private static IEnumerable<(string Path, string Text)> ServiceSources() =>
        Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "Services"), "*.cs", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(RepositoryPaths.Root, file).Replace('\\', '/'))
            .Where(path => !path.Contains("/bin/", StringComparison.Ordinal) && !path.Contains("/obj/", StringComparison.Ordinal))
            .Select(path => (path, File.ReadAllText(Path.Combine(RepositoryPaths.Root, path))));

    [GeneratedRegex(@"CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)", RegexOptions.CultureInvariant)]
    private static partial Regex CreateTable();

    [GeneratedRegex(@"new NpgsqlCommand\b|new NpgsqlBatch\b|\.CreateCommand\(|\.CreateBatch\(|BeginBinary(Import|Export)Async|\.(Query|QuerySingle|QuerySingleOrDefault|QueryMultiple|QueryUnbuffered|Execute|ExecuteScalar)Async(<[^>]+>)?\(\s*(new CommandDefinition|\$?""|sql)", RegexOptions.CultureInvariant)]
    private static partial Regex DatabaseAccess();
}
