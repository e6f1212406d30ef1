using Analytics.Data.Tenancy;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Tenancy;

/// <summary>
/// Finds the organization a key belongs to. Verified keys are remembered briefly so a busy edge
/// device costs one database lookup per <see cref="ApiKeySettings.CacheSeconds"/>, not per request;
/// unknown keys are not remembered, so guessing cannot fill the cache.
/// </summary>
public sealed class ApiKeyLookup(NpgsqlDataSource dataSource, IMemoryCache cache, IOptions<ApiKeySettings> settings)
{
    /// <param name="hash">The key's <see cref="ApiKeys.Hash"/>.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    public async ValueTask<string?> FindOrganizationAsync(byte[] hash, CancellationToken cancellationToken)
    {
        var cacheKey = "api-key:" + Convert.ToHexString(hash);
        if (cache.TryGetValue(cacheKey, out string? orgId))
        {
            return orgId;
        }

        orgId = await OrganizationStore.OrganizationOfKeyAsync(dataSource, hash, cancellationToken);
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
    public Task SeedAsync(SeededApiKey seed, CancellationToken cancellationToken) =>
        OrganizationStore.SeedKeyAsync(dataSource, seed.OrgId, ApiKeys.Hash(seed.Key), seed.Name, cancellationToken);
}
