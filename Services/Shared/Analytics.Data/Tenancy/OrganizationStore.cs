using Dapper;
using Npgsql;

namespace Analytics.Data.Tenancy;

/// <summary>
/// The owner of <c>organizations</c> and their <c>api_keys</c>. Only a key's SHA-256 is stored, so a
/// request is checked with one index lookup and a leaked table reveals no key.
/// </summary>
public static class OrganizationStore
{
    /// <summary>
    /// The organization of an unrevoked key, by the key's hash; null when there is none. It is read
    /// before any organization is known, so through the one function that may look past row-level
    /// security for it (migration 0016), which returns the organization and nothing else.
    /// </summary>
    public static async Task<string?> OrganizationOfKeyAsync(NpgsqlDataSource dataSource, byte[] keyHash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT analytics_api_key_organization(@keyHash)", new { keyHash }, cancellationToken: cancellationToken));
    }

    /// <summary>Creates the organization if needed and the key (by its hash) if new; safe to repeat.</summary>
    public static async Task SeedKeyAsync(NpgsqlDataSource dataSource, string orgId, byte[] keyHash, string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await TenantContext.EnterAsync(connection, orgId, "seed", cancellationToken);
        await EnsureAsync(connection, orgId, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO api_keys (key_hash, org_id, name) VALUES (@keyHash, @orgId, @name) ON CONFLICT DO NOTHING",
            new { keyHash, orgId, name }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Creates the organization, named by its id, unless it exists; inside the caller's transaction.</summary>
    public static Task EnsureAsync(NpgsqlConnection connection, string orgId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO organizations (org_id, name) VALUES (@orgId, @orgId) ON CONFLICT (org_id) DO NOTHING", new { orgId }, cancellationToken: cancellationToken));
}
