using Analytics.Schemas.Settings;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Tenancy;

/// <summary>
/// Finds the organization a key belongs to. Verified keys are remembered briefly so a busy edge
/// device costs one database lookup per <see cref="ApiKeySettings.CacheSeconds"/>, not per request;
/// unknown keys are not remembered, so guessing cannot fill the cache.
/// </summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource, IMemoryCache cache, IOptions<ApiKeySettings> settings)
{
    public async ValueTask<string?> FindOrganizationAsync(string key, CancellationToken cancellationToken)
    {
        var hash = ApiKeys.Hash(key);
        var cacheKey = "api-key:" + Convert.ToHexString(hash);
        if (cache.TryGetValue(cacheKey, out string? orgId))
        {
            return orgId;
        }

        await using var command = dataSource.CreateCommand("SELECT org_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = hash });
        orgId = await command.ExecuteScalarAsync(cancellationToken) as string;
        if (orgId is not null && settings.Value.CacheSeconds > 0)
        {
            cache.Set(cacheKey, orgId, new MemoryCacheEntryOptions
            {
                AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(settings.Value.CacheSeconds),
                Size = 1,
            });
        }
        return orgId;
    }

    /// <summary>Creates the organization if needed and the key (by its hash) if new; safe to repeat.</summary>
    public async Task SeedAsync(SeededApiKey seed, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO organizations (org_id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING")
        {
            Parameters = { new NpgsqlParameter { Value = seed.OrgId } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO api_keys (key_hash, org_id, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        {
            Parameters =
            {
                new NpgsqlParameter { Value = ApiKeys.Hash(seed.Key) },
                new NpgsqlParameter { Value = seed.OrgId },
                new NpgsqlParameter { Value = seed.Name },
            },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
