namespace Analytics.Schemas.Contracts;

/// <summary>
/// What an API key may be used for, as the <c>api_keys.scopes</c> column stores it. A key holds
/// one or more; each operation needs one (README, "Roles and permissions").
/// </summary>
public static class ApiKeyScopes
{
    /// <summary>Send observations to ingest.</summary>
    public const string Ingest = "ingest";

    /// <summary>Read places, incidents, silences, notification rules and the delivery log.</summary>
    public const string Read = "read";

    /// <summary>Change places, notification rules and silences, and act on incidents.</summary>
    public const string Write = "write";

    /// <summary>Manage API keys and read the audit trail.</summary>
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Ingest, Read, Write, Admin];

    public static bool IsKnown(string? scope) => scope is not null && All.Contains(scope, StringComparer.Ordinal);
}
