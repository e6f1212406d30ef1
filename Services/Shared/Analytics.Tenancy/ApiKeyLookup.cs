using Analytics.Data.Tenancy;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Tenancy;

/// <summary>
/// Finds what a key grants. Verified keys are remembered briefly so a busy edge device costs one
/// database lookup per <see cref="ApiKeySettings.CacheSeconds"/>, not per request, never past the
/// key's expiry; unknown keys are not remembered, so guessing cannot fill the cache. A revoked key
/// is forgotten at once by the instance that revoked it, and by the others within the cache time.
/// </summary>
public sealed class ApiKeyLookup(NpgsqlDataSource dataSource, IMemoryCache cache, IOptions<ApiKeySettings> settings, TimeProvider clock)
{
    /// <param name="hash">The key's <see cref="ApiKeys.Hash"/>.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    public async ValueTask<ApiKeyGrant?> FindAsync(byte[] hash, CancellationToken cancellationToken)
    {
        var cacheKey = CacheKey(hash);
        if (cache.TryGetValue(cacheKey, out ApiKeyGrant? grant) && grant is not null)
        {
            return grant.ExpiresAt is { } expires && expires <= clock.GetUtcNow() ? null : grant;
        }

        grant = await ApiKeyStore.FindAsync(dataSource, hash, cancellationToken);
        if (grant is not null && settings.Value.CacheSeconds > 0)
        {
            var remembered = TimeSpan.FromSeconds(settings.Value.CacheSeconds);
            if (grant.ExpiresAt is { } expires && expires - clock.GetUtcNow() < remembered)
            {
                remembered = expires - clock.GetUtcNow();
            }
            if (remembered > TimeSpan.Zero)
            {
                cache.Set(cacheKey, grant, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = remembered, Size = 1 });
            }
        }
        return grant;
    }

    /// <summary>Forgets a key this instance may remember, after it is revoked.</summary>
    public void Forget(byte[] hash) => cache.Remove(CacheKey(hash));

    /// <summary>Creates the organization if needed and the key (by its hash) if new; safe to repeat.</summary>
    public Task SeedAsync(SeededApiKey seed, CancellationToken cancellationToken) =>
        ApiKeyStore.SeedAsync(dataSource, new NewApiKey(
            Guid.CreateVersion7(), ApiKeys.Hash(seed.Key), seed.OrgId, seed.Name, ApiKeys.Prefix(seed.Key), [.. seed.ScopesOrAll()], null, "configuration"),
            cancellationToken);

    private static string CacheKey(byte[] hash) => "api-key:" + Convert.ToHexString(hash);
}
