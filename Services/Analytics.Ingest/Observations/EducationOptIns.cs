using Analytics.Data.Tenancy;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Ingest.Observations;

/// <summary>
/// Whether an organization has opted into the education domain, remembered for
/// <see cref="IngestSettings.EducationOptInCacheSeconds"/>, so a classroom's stream costs one
/// lookup per that time, not one per batch. Turning education on is seen within that time too.
/// </summary>
public sealed class EducationOptIns(NpgsqlDataSource dataSource, IMemoryCache cache, IOptions<IngestSettings> settings)
{
    /// <summary>The setting a refusal names, as <c>PUT /v1/organization/settings</c> takes it.</summary>
    public const string SettingName = "educationEnabled";

    public async ValueTask<bool> IsEnabledAsync(string orgId, CancellationToken cancellationToken)
    {
        var cacheKey = "education-opt-in:" + orgId;
        if (cache.TryGetValue(cacheKey, out bool enabled))
        {
            return enabled;
        }
        enabled = await OrganizationStore.EducationEnabledAsync(dataSource, orgId, cancellationToken);
        if (settings.Value.EducationOptInCacheSeconds > 0)
        {
            cache.Set(cacheKey, enabled, new MemoryCacheEntryOptions
            {
                AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(settings.Value.EducationOptInCacheSeconds),
                Size = 1,
            });
        }
        return enabled;
    }
}
