using Analytics.Data.Identity;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Tenancy;

/// <summary>
/// Whether a token's user has been disabled, asked on every request with a user's token. An access
/// token stays valid until it expires, so without this a disabled user would keep working for up
/// to its lifetime; with it, for at most <see cref="AuthSettings.UserStatusCacheSeconds"/>, and not
/// at all on the instance that disabled the user (<see cref="Forget"/>). Users this database does
/// not know (those of a Supabase project or another issuer) are never disabled here.
/// </summary>
public sealed class UserStatusLookup(NpgsqlDataSource dataSource, IMemoryCache cache, IOptions<AuthSettings> settings)
{
    public async ValueTask<bool> IsDisabledAsync(string subject, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(subject, out var userId))
        {
            return false;
        }
        var cacheKey = CacheKey(userId);
        if (cache.TryGetValue(cacheKey, out bool disabled))
        {
            return disabled;
        }
        disabled = await UserStore.IsDisabledAsync(dataSource, userId, cancellationToken);
        if (settings.Value.UserStatusCacheSeconds > 0)
        {
            cache.Set(cacheKey, disabled, new MemoryCacheEntryOptions
            {
                AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(settings.Value.UserStatusCacheSeconds),
                Size = 1,
            });
        }
        return disabled;
    }

    /// <summary>Drops what this instance remembers about the user, after a change to it.</summary>
    public void Forget(Guid userId) => cache.Remove(CacheKey(userId));

    private static string CacheKey(Guid userId) => "user-disabled:" + userId.ToString("N");
}
