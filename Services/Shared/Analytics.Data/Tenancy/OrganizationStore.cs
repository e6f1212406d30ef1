using Dapper;
using Npgsql;

namespace Analytics.Data.Tenancy;

/// <summary>The owner of <c>organizations</c>; their keys are <see cref="ApiKeyStore"/>'s.</summary>
public static class OrganizationStore
{
    /// <summary>Creates the organization, named by its id, unless it exists; inside the caller's transaction.</summary>
    public static Task EnsureAsync(NpgsqlConnection connection, string orgId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO organizations (org_id, name) VALUES (@orgId, @orgId) ON CONFLICT (org_id) DO NOTHING", new { orgId }, cancellationToken: cancellationToken));

    /// <summary>Whether the organization has opted into the education domain; false when there is no such organization.</summary>
    public static async Task<bool> EducationEnabledAsync(NpgsqlConnection connection, string orgId, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<bool?>(new CommandDefinition(
            "SELECT education_enabled FROM organizations WHERE org_id = @orgId", new { orgId }, cancellationToken: cancellationToken)) ?? false;

    /// <summary>
    /// Whether the organization has opted into the education domain, read in a transaction of its
    /// own under the organization (row-level security), for a caller outside a request's transaction.
    /// </summary>
    public static async Task<bool> EducationEnabledAsync(NpgsqlDataSource dataSource, string orgId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await TenantContext.EnterAsync(connection, orgId, "education-opt-in", cancellationToken);
        var enabled = await EducationEnabledAsync(connection, orgId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return enabled;
    }

    /// <summary>Turns the education domain on or off for the organization, in the caller's transaction; answers whether a row changed.</summary>
    public static async Task<bool> SetEducationEnabledAsync(NpgsqlConnection connection, string orgId, bool enabled, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE organizations SET education_enabled = @enabled WHERE org_id = @orgId AND education_enabled <> @enabled",
            new { orgId, enabled }, cancellationToken: cancellationToken)) == 1;

    /// <summary>Every organization that has opted into the education domain, through the one function that may say so (migration 0022).</summary>
    public static async Task<HashSet<string>> EducationOrganizationsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT analytics_education_organizations()", cancellationToken: cancellationToken))).ToHashSet(StringComparer.Ordinal);
    }
}
