using Dapper;
using Analytics.Data.Tenancy;
using Npgsql;

namespace Analytics.Data.Privacy;

/// <summary>
/// The owner of <c>subject_key_secrets</c>: each organization's secret for each UTC day. What a
/// secret is for and when it expires is ingest's (<c>SubjectKeySecrets</c>); this is its SQL.
/// </summary>
public static class SubjectKeySecretStore
{
    /// <summary>
    /// The stored secret of <paramref name="orgId"/> for <paramref name="day"/>, stored as
    /// <paramref name="candidate"/> first when there is none; null when it was deleted in between.
    /// </summary>
    public static async Task<byte[]?> LoadOrCreateAsync(NpgsqlDataSource dataSource, string orgId, DateOnly day, byte[] candidate, CancellationToken cancellationToken)
    {
        // Two replicas may create the day's secret at once: the insert of the second does nothing
        // (it waits for the first to commit), and the read, a statement of its own (read
        // committed), sees the winner.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await TenantContext.EnterAsync(connection, orgId, "ingest", cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO subject_key_secrets (org_id, day, secret) VALUES (@orgId, @day, @candidate) ON CONFLICT (org_id, day) DO NOTHING",
            new { orgId, day, candidate }, cancellationToken: cancellationToken));
        var secret = await connection.ExecuteScalarAsync<byte[]>(new CommandDefinition(
            "SELECT secret FROM subject_key_secrets WHERE org_id = @orgId AND day = @day", new { orgId, day }, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return secret;
    }

    /// <summary>Deletes every organization's secrets for days before <paramref name="oldestKept"/>; returns how many.</summary>
    public static async Task<int> DeleteBeforeAsync(NpgsqlDataSource dataSource, DateOnly oldestKept, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM subject_key_secrets WHERE day < @oldestKept", new { oldestKept }, cancellationToken: cancellationToken));
    }
}
