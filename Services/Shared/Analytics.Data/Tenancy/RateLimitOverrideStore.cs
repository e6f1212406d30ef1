using Dapper;
using Npgsql;

namespace Analytics.Data.Tenancy;

/// <summary>
/// One organization's own limits on one service, in place of the configured ones. A null pair
/// leaves that bucket at the configured default.
/// </summary>
public sealed record RateLimitOverride
{
    public string OrgId { get; init; } = "";
    public int? OrgTokensPerSecond { get; init; }
    public int? OrgBurst { get; init; }
    public int? KeyTokensPerSecond { get; init; }
    public int? KeyBurst { get; init; }
}

/// <summary>
/// The owner of <c>rate_limit_overrides</c> (migration 0020). The platform's operator writes the
/// table as the database owner; the services only read it, here.
/// </summary>
public static class RateLimitOverrideStore
{
    /// <summary>
    /// Every organization's override of <paramref name="service"/>'s limits. The services read them
    /// before any request, so under no organization: through the one function that may look past
    /// row-level security for them, which returns these columns and nothing else.
    /// </summary>
    public static async Task<RateLimitOverride[]> OfServiceAsync(NpgsqlDataSource dataSource, string service, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<RateLimitOverride>(new CommandDefinition(
            "SELECT org_id, org_tokens_per_second, org_burst, key_tokens_per_second, key_burst FROM analytics_rate_limit_overrides(@service)",
            new { service }, cancellationToken: cancellationToken));
        return [.. rows];
    }
}
