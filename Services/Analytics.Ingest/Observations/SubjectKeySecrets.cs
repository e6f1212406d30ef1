using System.Collections.Concurrent;
using Analytics.Data.Privacy;
using Analytics.Schemas.Contracts;
using Npgsql;

namespace Analytics.Ingest.Observations;

/// <summary>
/// Each organization's secret for each UTC day, created on
/// first use, cached in memory, and destroyed once the day is older than
/// <see cref="SubjectPseudonyms.OldestKeptDay"/>. Stored rather than kept in memory alone so that
/// every ingest replica, and one that restarts, gives a subject the same pseudonym all day. The SQL
/// is <see cref="SubjectKeySecretStore"/>'s.
/// </summary>
public sealed class SubjectKeySecrets(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private readonly ConcurrentDictionary<(string OrgId, DateOnly Day), byte[]> _cache = new();

    /// <summary>
    /// The secrets for the days of the affect samples among <paramref name="observations"/>, or null
    /// when there are none: a batch of track updates costs one type test per item and no I/O.
    /// </summary>
    /// <exception cref="NpgsqlException">A secret could not be read or created; nothing may be stored.</exception>
    public async ValueTask<BatchSubjectSecrets?> ForBatchAsync(string orgId, IReadOnlyList<Observation> observations, CancellationToken cancellationToken)
    {
        Dictionary<DateOnly, byte[]>? secrets = null;
        for (var i = 0; i < observations.Count; i++)
        {
            if (observations[i] is AffectTelemetry sample)
            {
                secrets ??= [];
                secrets.TryAdd(SubjectPseudonyms.KeyDay(sample.OccurredAt), []);
            }
        }
        if (secrets is null)
        {
            return null;
        }
        foreach (var day in secrets.Keys.ToList())
        {
            secrets[day] = await GetAsync(orgId, day, cancellationToken);
        }
        return new BatchSubjectSecrets(secrets);
    }

    /// <summary>
    /// The secret of <paramref name="orgId"/> for <paramref name="day"/>. A day already past its
    /// destruction is never served from memory: a late sample for it gets whatever the database holds,
    /// a fresh secret once the old one is destroyed, so it no longer groups with earlier samples.
    /// </summary>
    public async ValueTask<byte[]> GetAsync(string orgId, DateOnly day, CancellationToken cancellationToken)
    {
        var expired = day < SubjectPseudonyms.OldestKeptDay(clock.GetUtcNow());
        if (expired)
        {
            _cache.TryRemove((orgId, day), out _);
        }
        else if (_cache.TryGetValue((orgId, day), out var cached))
        {
            return cached;
        }
        var secret = await LoadOrCreateAsync(orgId, day, cancellationToken);
        if (!expired)
        {
            _cache[(orgId, day)] = secret;
        }
        return secret;
    }

    /// <summary>
    /// Deletes every organization's secrets for days before <see cref="SubjectPseudonyms.OldestKeptDay"/>
    /// and forgets them here; after that, no stored pseudonym of those days can be recomputed.
    /// </summary>
    /// <returns>How many secrets were deleted from the database.</returns>
    /// <param name="housekeeping">The data source of ingest's background jobs, whose role may delete every organization's secrets.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    public async Task<int> DestroyExpiredAsync(NpgsqlDataSource housekeeping, CancellationToken cancellationToken)
    {
        var oldestKept = SubjectPseudonyms.OldestKeptDay(clock.GetUtcNow());
        // Forgotten first: whatever the database says, an expired secret is not used again.
        foreach (var key in _cache.Keys.Where(key => key.Day < oldestKept))
        {
            _cache.TryRemove(key, out _);
        }
        return await SubjectKeySecretStore.DeleteBeforeAsync(housekeeping, oldestKept, cancellationToken);
    }

    private async Task<byte[]> LoadOrCreateAsync(string orgId, DateOnly day, CancellationToken cancellationToken) =>
        await SubjectKeySecretStore.LoadOrCreateAsync(dataSource, orgId, day, SubjectPseudonyms.NewSecret(), cancellationToken)
        // Only the hourly maintenance deletes, and only days past their destruction.
        ?? throw new RetryableFaultException($"The subject key secret of {orgId} for {day:O} was destroyed as it was created; send the batch again.");
}
