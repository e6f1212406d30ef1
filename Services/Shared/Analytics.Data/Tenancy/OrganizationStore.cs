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
}
