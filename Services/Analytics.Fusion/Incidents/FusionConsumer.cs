using System.Diagnostics;
using Analytics.Data.Incidents;
using Analytics.EventLog;
using Analytics.Incidents;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Fusion.Incidents;

/// <summary>A stored signal with the trace of the observation that completed it.</summary>
public sealed record StoredSignal(Signal Signal, string? TraceParent, string? TraceState);

/// <summary>
/// Folds the signal log into incidents. Each page of signals is one transaction: the newest
/// incident of every group the page touches is locked, the signals are folded, and the incident
/// events, the projection rows and the checkpoint commit together, so a crash re-folds nothing
/// twice and loses nothing.
/// </summary>
public sealed partial class FusionConsumer(
    NpgsqlDataSource dataSource,
    IOptions<FusionSettings> settings,
    TimeProvider clock,
    ILogger<FusionConsumer> logger) : BackgroundService
{
    public const string Name = "fusion";

    /// <summary>
    /// Signals folded per transaction. A page costs one lookup, one projection row and usually one
    /// attachment event per incident it touches, so in a burst larger pages cost less per signal:
    /// 20,000 folded 62k signals/s where 10,000 folded 47k (bench/README.md, fusion). Under steady
    /// load pages are small and this changes nothing.
    /// </summary>
    private const int PageSize = 20_000;

    private static readonly Evidence NoEvidence = new() { Measurements = new Dictionary<string, double>() };

    // The columns fusion decides on, not the JSON document: a page of thousands of signals is read
    // without parsing any JSON.
    private static readonly PostgresFeedDefinition<StoredSignal> Signals = new(
        "signals",
        "signals",
        "org_id, signal_id, domain, kind, severity, confidence, site_id, camera_id, zone_id, started_at, ended_at, trace_parent, trace_state",
        (reader, _) => new StoredSignal(
            new Signal
            {
                OrgId = reader.GetString(2),
                Id = reader.GetString(3),
                Domain = Wire.Parse<Domain>(reader.GetString(4)),
                Kind = reader.GetString(5),
                Severity = Wire.Parse<Severity>(reader.GetString(6)),
                Confidence = reader.GetDouble(7),
                SiteId = reader.GetString(8),
                CameraId = reader.GetString(9),
                ZoneId = reader.IsDBNull(10) ? null : reader.GetString(10),
                StartedAt = reader.GetFieldValue<DateTimeOffset>(11),
                EndedAt = reader.GetFieldValue<DateTimeOffset>(12),
                // Fusion needs neither; the API reads them from the stored document.
                TrackIds = [],
                Evidence = NoEvidence,
                SchemaVersion = EventTypes.CurrentVersion.Signal,
            },
            reader.IsDBNull(13) ? null : reader.GetString(13),
            reader.IsDBNull(14) ? null : reader.GetString(14)));

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ConsumerRestarts.RunAsync(RunAsync, (e, backoff) => LogRestart(e, backoff.TotalSeconds), stoppingToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var folder = new IncidentFolder(settings.Value);
        var checkpoint = await new PostgresEventLog(dataSource).LoadCheckpointAsync(Name, cancellationToken);
        LogStarting(checkpoint.ToString());
        var feed = new PostgresFeed<StoredSignal>(dataSource, Signals, new PostgresEventLogOptions { PageSize = PageSize });
        await foreach (var (page, end) in feed.SubscribeAsync(checkpoint, cancellationToken).ReadAhead(cancellationToken))
        {
            using var activity = StartFusion(page);
            var events = await FoldAsync(folder, page, end, cancellationToken);
            activity?.SetTag("analytics.incident_events", events);
        }
    }

    /// <returns>How many incident events the page produced.</returns>
    private async Task<int> FoldAsync(IncidentFolder folder, IReadOnlyList<StoredSignal> page, LogPosition end, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var keys = page.Select(s => (s.Signal.OrgId, folder.GroupKeyOf(s.Signal))).ToList();
        var newest = await IncidentStore.LoadNewestInGroupsAsync(connection, keys, cancellationToken);
        var silences = await SilenceStore.ActiveAsync(connection, page.Select(s => s.Signal.OrgId).Distinct().ToList(), now, cancellationToken);

        var batch = new IncidentEventBatch();
        var changed = new Dictionary<(string, string), IncidentState>();
        for (var i = 0; i < page.Count; i++)
        {
            batch.Cause = (page[i].TraceParent, page[i].TraceState);
            var state = folder.Fold(page[i].Signal, newest.GetValueOrDefault(keys[i]), now, silences, batch);
            newest[keys[i]] = state;
            changed[(state.OrgId, state.IncidentId)] = state;
        }

        await IncidentStore.AppendAsync(connection, batch.Events, changed.Values, cancellationToken);
        await PostgresEventLog.CommitCheckpointAsync(connection, Name, end, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return batch.Events.Count;
    }

    /// <summary>One span per page, linked to the requests that brought the observations behind its signals.</summary>
    private static Activity? StartFusion(IReadOnlyList<StoredSignal> page)
    {
        var activity = Telemetry.StartLinkedConsumer("fuse signals", page.Select(s => (s.TraceParent, s.TraceState)));
        activity?.SetTag("analytics.signals", page.Count);
        return activity;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fusion starts after signal log position {Checkpoint}")]
    private partial void LogStarting(string checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fusion failed and restarts from its checkpoint in {Seconds} s")]
    private partial void LogRestart(Exception error, double seconds);
}
