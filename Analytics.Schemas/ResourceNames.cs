namespace Analytics.Schemas;

/// <summary>
/// Names of the resources in the distributed application. The AppHost registers them and the
/// tests look them up, so both must spell them the same way.
/// </summary>
public static class ResourceNames
{
    public const string Postgres = "postgres";
    public const string Database = "analytics";
    public const string Migrations = "migrations";
    public const string Ingest = "ingest";
    public const string Antitheft = "antitheft";
    public const string Safety = "safety";
    public const string Education = "education";
    public const string Fusion = "fusion";
    public const string Notifier = "notifier";
    public const string Api = "api";
    public const string Identity = "identity";
    public const string Console = "console";
    public const string Simulator = "simulator";

    /// <summary>The web services, each of which exposes health endpoints.</summary>
    public static IReadOnlyList<string> Services { get; } =
        [Ingest, Antitheft, Safety, Education, Fusion, Notifier, Api, Identity, Console];
}
