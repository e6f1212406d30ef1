using Dapper;
using Npgsql;

namespace Analytics.Data.Tenancy;

/// <summary>What a verified key grants: its organization, its id and scopes, until when.</summary>
public sealed record ApiKeyGrant
{
    public string OrgId { get; init; } = "";
    public Guid KeyId { get; init; }
    public string[] Scopes { get; init; } = [];
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>An API key as its organization's admins see it: never the secret, nor its hash.</summary>
public sealed record StoredApiKey
{
    public Guid KeyId { get; init; }

    /// <summary>The secret's SHA-256: never shown, but it names the key in audit records (its fingerprint).</summary>
    public byte[] KeyHash { get; init; } = [];
    public string Name { get; init; } = "";

    /// <summary>The secret's first characters, enough to tell keys apart.</summary>
    public string Prefix { get; init; } = "";
    public string[] Scopes { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The actor who made it; null for keys from configuration or from before keys were managed.</summary>
    public string? CreatedBy { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>True to within the services' key cache time.</summary>
    public DateTimeOffset? LastUsedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
}

/// <summary>A key to store: the secret's hash and the first characters of the secret, never the secret.</summary>
public sealed record NewApiKey(Guid KeyId, byte[] KeyHash, string OrgId, string Name, string Prefix, string[] Scopes, DateTimeOffset? ExpiresAt, string CreatedBy);

/// <summary>
/// The owner of <c>api_keys</c>. Only a key's SHA-256 is stored, so a request is checked with one
/// index lookup and a leaked table reveals no key.
/// </summary>
public static class ApiKeyStore
{
    private const string Columns = "key_id, key_hash, name, prefix, scopes, created_at, created_by, expires_at, last_used_at, revoked_at";

    /// <summary>
    /// What an unrevoked, unexpired key grants, by the key's hash; null when nothing. It is read
    /// before any organization is known, so through the one function that may look past row-level
    /// security for it (migration 0019), which also notes the key's use.
    /// </summary>
    public static async Task<ApiKeyGrant?> FindAsync(NpgsqlDataSource dataSource, byte[] keyHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApiKeyGrant>(new CommandDefinition(
            "SELECT org_id, key_id, scopes, expires_at FROM analytics_api_key(@keyHash)", new { keyHash }, cancellationToken: cancellationToken));
    }

    /// <summary>Creates the organization if needed and the key (by its hash) if new; safe to repeat.</summary>
    public static async Task SeedAsync(NpgsqlDataSource dataSource, NewApiKey key, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await TenantContext.EnterAsync(connection, key.OrgId, "seed", cancellationToken);
        await OrganizationStore.EnsureAsync(connection, key.OrgId, cancellationToken);
        await InsertAsync(connection, key, "ON CONFLICT DO NOTHING", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Stores a new key in the caller's transaction.</summary>
    public static async Task<StoredApiKey> CreateAsync(NpgsqlConnection connection, NewApiKey key, CancellationToken cancellationToken) =>
        await InsertAsync(connection, key, "", cancellationToken)
        ?? throw new InvalidOperationException("The insert returned no row");

    /// <summary>The organization's keys, newest first, revoked ones included (for the record).</summary>
    public static async Task<List<StoredApiKey>> ListAsync(NpgsqlConnection connection, string orgId, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<StoredApiKey>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE org_id = @orgId ORDER BY created_at DESC, key_id DESC",
            new { orgId }, cancellationToken: cancellationToken))).AsList();

    public static Task<StoredApiKey?> GetAsync(NpgsqlConnection connection, string orgId, Guid keyId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<StoredApiKey>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE org_id = @orgId AND key_id = @keyId",
            new { orgId, keyId }, cancellationToken: cancellationToken));

    /// <summary>
    /// Revokes the key unless it already is, under a row lock so two revocations record one
    /// change; answers the key before and after (equal when it was revoked already); null when no such key.
    /// </summary>
    public static async Task<(StoredApiKey Before, StoredApiKey After)?> RevokeAsync(
        NpgsqlConnection connection, string orgId, Guid keyId, CancellationToken cancellationToken)
    {
        var before = await connection.QuerySingleOrDefaultAsync<StoredApiKey>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE org_id = @orgId AND key_id = @keyId FOR UPDATE",
            new { orgId, keyId }, cancellationToken: cancellationToken));
        if (before is null)
        {
            return null;
        }
        var after = await connection.QuerySingleAsync<StoredApiKey>(new CommandDefinition(
            $"UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE org_id = @orgId AND key_id = @keyId RETURNING {Columns}",
            new { orgId, keyId }, cancellationToken: cancellationToken));
        return (before, after);
    }

    private static Task<StoredApiKey?> InsertAsync(NpgsqlConnection connection, NewApiKey key, string onConflict, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<StoredApiKey>(new CommandDefinition(
            $"""
            INSERT INTO api_keys (key_hash, key_id, org_id, name, prefix, scopes, expires_at, created_by)
            VALUES (@KeyHash, @KeyId, @OrgId, @Name, @Prefix, @Scopes, @ExpiresAt, @CreatedBy)
            {onConflict}
            RETURNING {Columns}
            """,
            key, cancellationToken: cancellationToken));
}
