using System.Text.Json;
using Npgsql;

namespace Analytics.Data.Tenancy;

/// <summary>
/// Whose rows the current transaction may see and write, as row-level security reads it (migration
/// 0016): the caller's claims in <c>request.jwt.claims</c>, the setting Supabase's PostgREST sets
/// from a JWT, with the organization at <c>app_metadata.org_id</c>.
/// </summary>
public static class TenantContext
{
    /// <summary>
    /// Makes <paramref name="orgId"/> the organization of the connection's open transaction; it
    /// ends with the transaction. Outside a transaction it would end with this one statement.
    /// </summary>
    public static async Task EnterAsync(NpgsqlConnection connection, string orgId, string actor, CancellationToken cancellationToken)
    {
        var claims = JsonSerializer.Serialize(new Claims(actor, new AppMetadata(orgId)));
        await using var command = new NpgsqlCommand("SELECT set_config('request.jwt.claims', $1, true)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = claims });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed record Claims(string sub, AppMetadata app_metadata);

    private sealed record AppMetadata(string org_id);
}
