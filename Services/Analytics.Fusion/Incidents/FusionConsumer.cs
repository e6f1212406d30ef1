using System.Diagnostics;
using Analytics.Consumers;
using Analytics.Data.Incidents;
using Analytics.Data.Signals;
using Analytics.EventLog;
using Analytics.Incidents;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Fusion.Incidents;

/// <summary>
/// Folds the signal log into incidents. Each page of signals is one transaction: the newest
/// incident of every group the page touches is locked, the signals are folded, and the incident
/// events, the projection rows and (by its host) the checkpoint commit together, so a crash
/// re-folds nothing twice and loses nothing.
/// </summary>
public sealed class FusionConsumer(IOptions<FusionSettings> settings, TimeProvider clock) : ILogConsumer<StoredSignal>
{
    public const string Name = "fusion";

    /// <summary>
    /// Signals folded per transaction. A page costs one lookup, one projection row and usually one
    /// attachment event per incident it touches, so in a burst larger pages cost less per signal:
    /// 20,000 folded 62k signals/s where 10,000 folded 47k (bench/README.md, fusion). Under steady
    /// load pages are small and this changes nothing.
    /// </summary>
    private const int PageSize = 20_000;

    private readonly IncidentFolder _folder = new(settings.Value);

    /// <summary>The signal log with fusion's page size.</summary>
    public static IEventLog<StoredSignal> Log(NpgsqlDataSource dataSource) =>
        SignalStore.Log(dataSource, new PostgresEventLogOptions { PageSize = PageSize });

    public async Task<ReplayPoint?> HandleAsync(LogPage<StoredSignal> page, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var activity = StartFusion(page.Entries);
        var events = await FoldAsync(page.Entries, connection, cancellationToken);
        activity?.SetTag("analytics.incident_events", events);
        return null;
    }

    /// <returns>How many incident events the page produced.</returns>
    private async Task<int> FoldAsync(IReadOnlyList<StoredSignal> page, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var keys = page.Select(s => (s.Signal.OrgId, _folder.GroupKeyOf(s.Signal))).ToList();
        var newest = await IncidentStore.LoadNewestInGroupsAsync(connection, keys, cancellationToken);
        var silences = await SilenceStore.ActiveAsync(connection, page.Select(s => s.Signal.OrgId).Distinct().ToList(), now, cancellationToken);

        var batch = new IncidentEventBatch();
        var changed = new Dictionary<(string, string), IncidentState>();
        for (var i = 0; i < page.Count; i++)
        {
            batch.Cause = (page[i].TraceParent, page[i].TraceState);
            var state = _folder.Fold(page[i].Signal, newest.GetValueOrDefault(keys[i]), now, silences, batch);
            newest[keys[i]] = state;
            changed[(state.OrgId, state.IncidentId)] = state;
        }

        await IncidentStore.AppendAsync(connection, batch.Events, changed.Values, cancellationToken);
        return batch.Events.Count;
    }

    /// <summary>One span per page, linked to the requests that brought the observations behind its signals.</summary>
    private static Activity? StartFusion(IReadOnlyList<StoredSignal> page)
    {
        var activity = Telemetry.StartLinkedConsumer("fuse signals", page.Select(s => (s.TraceParent, s.TraceState)));
        activity?.SetTag("analytics.signals", page.Count);
        return activity;
    }
}
