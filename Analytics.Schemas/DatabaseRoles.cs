namespace Analytics.Schemas;

/// <summary>
/// The Postgres roles the services connect as (migration 0016 creates them and their grants). None
/// owns a table or bypasses row-level security; the migrations give each a password and LOGIN
/// when the deployment configures one (<c>DatabaseRoles:Passwords:&lt;role&gt;</c>).
/// </summary>
public static class DatabaseRoles
{
    /// <summary>The API: one organization per request.</summary>
    public const string Api = "analytics_api";

    /// <summary>Ingest's requests: one organization per request.</summary>
    public const string Ingest = "analytics_ingest";

    /// <summary>Ingest's background jobs of every organization: idle cameras, retention.</summary>
    public const string IngestHousekeeping = "analytics_ingest_housekeeping";

    /// <summary>Antitheft, safety and education.</summary>
    public const string Rules = "analytics_rules";

    public const string Fusion = "analytics_fusion";

    public const string Notifier = "analytics_notifier";

    /// <summary>The identity service: people of every organization sign in there.</summary>
    public const string Identity = "analytics_identity";

    public static IReadOnlyList<string> All { get; } = [Api, Ingest, IngestHousekeeping, Rules, Fusion, Notifier, Identity];

    /// <summary>The connection string name of ingest's second data source, for its background jobs.</summary>
    public const string HousekeepingConnectionName = "analytics-housekeeping";
}
