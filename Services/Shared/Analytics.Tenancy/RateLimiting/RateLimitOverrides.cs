using System.Collections.Frozen;
using Analytics.Data.Tenancy;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Tenancy.RateLimiting;

/// <summary>
/// The organizations' overrides of this service's limits, as last read from the database. Every
/// request asks here, so it is a dictionary in memory; <see cref="RateLimitOverrideRefresher"/>
/// replaces it whole every <see cref="RateLimitSettings.OverrideRefreshSeconds"/>.
/// </summary>
public sealed partial class RateLimitOverrides(IOptions<RateLimitSettings> settings, ILogger<RateLimitOverrides> logger)
{
    private volatile FrozenDictionary<string, RateLimitOverride> _byOrg = FrozenDictionary<string, RateLimitOverride>.Empty;

    /// <summary>The limits of <paramref name="orgId"/>'s requests and of each of its keys and users.</summary>
    public CallerLimits For(string orgId) => CallerLimits.Of(settings.Value, _byOrg.GetValueOrDefault(orgId));

    /// <summary>
    /// Replaces the overrides with what <paramref name="read"/> returns. When it fails, the last
    /// known overrides stay: a database outage must not lift an organization's tighter limit, nor
    /// fail the requests that are checked against it.
    /// </summary>
    /// <returns>Whether the overrides were read.</returns>
    public async Task<bool> RefreshAsync(Func<CancellationToken, Task<RateLimitOverride[]>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            var overrides = await read(cancellationToken);
            _byOrg = overrides.ToFrozenDictionary(o => o.OrgId, StringComparer.Ordinal);
            return true;
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            LogKeptLastKnown(logger, exception, _byOrg.Count);
            return false;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Not a fault a later read fixes (a missing function, a bug): said loudly, and the
            // service keeps serving with the limits it has.
            LogReadFailed(logger, exception, _byOrg.Count);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the rate limit overrides; keeping the last known ({Count} organizations)")]
    private static partial void LogKeptLastKnown(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the rate limit overrides failed with a fault a retry does not fix; keeping the last known ({Count} organizations)")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, int count);
}

/// <summary>
/// Reads the overrides at start-up and then every <see cref="RateLimitSettings.OverrideRefreshSeconds"/>.
/// Until the first read succeeds, every organization has the configured limits.
/// </summary>
internal sealed class RateLimitOverrideRefresher(
    string service, RateLimitOverrides overrides, NpgsqlDataSource dataSource, IOptions<RateLimitSettings> settings, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.Value.OverrideRefreshSeconds), time);
        try
        {
            do
            {
                await overrides.RefreshAsync(cancellationToken => RateLimitOverrideStore.OfServiceAsync(dataSource, service, cancellationToken), stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
