using System.Diagnostics;
using System.Text.Json;
using Analytics.EventLog;
using Analytics.Incidents;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
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

    private const int MaxTraceLinks = 32;

    private static readonly PostgresFeedDefinition<StoredSignal> Signals = new(
        "signals",
        "signals",
        "document::text, trace_parent, trace_state",
        (reader, _) => new StoredSignal(
            JsonSerializer.Deserialize(reader.GetString(2), AnalyticsJsonContext.Default.Signal)!,
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is NpgsqlException or JsonException or InvalidOperationException or TimeoutException)
            {
                // Nothing past the last committed checkpoint took effect; start over from it.
                LogRestart(e, backoff.TotalSeconds);
                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var folder = new IncidentFolder(settings.Value);
        var checkpoint = await new PostgresEventLog(dataSource).LoadCheckpointAsync(Name, cancellationToken);
        LogStarting(checkpoint.ToString());
        var feed = new PostgresFeed<StoredSignal>(dataSource, Signals);
        await foreach (var (page, end) in feed.SubscribeAsync(checkpoint, cancellationToken))
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

        var events = new List<TracedIncidentEvent>();
        var changed = new Dictionary<(string, string), IncidentState>();
        var folded = new List<IncidentEvent>();
        for (var i = 0; i < page.Count; i++)
        {
            var (signal, traceParent, traceState) = page[i];
            folded.Clear();
            var state = folder.Fold(signal, newest.GetValueOrDefault(keys[i]), now, silences, folded);
            newest[keys[i]] = state;
            changed[(state.OrgId, state.IncidentId)] = state;
            events.AddRange(folded.Select(e => new TracedIncidentEvent(e, traceParent, traceState)));
        }

        await IncidentStore.AppendAsync(connection, events, changed.Values, cancellationToken);
        await PostgresEventLog.CommitCheckpointAsync(connection, Name, end, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return events.Count;
    }

    /// <summary>One span per page, linked to the requests that brought the observations behind its signals.</summary>
    private static Activity? StartFusion(IReadOnlyList<StoredSignal> page)
    {
        var links = new List<ActivityLink>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var signal in page)
        {
            if (links.Count < MaxTraceLinks && signal.TraceParent is { } parent && seen.Add(parent) &&
                ActivityContext.TryParse(parent, signal.TraceState, out var context))
            {
                links.Add(new ActivityLink(context));
            }
        }
        var activity = Telemetry.ActivitySource.StartActivity("fuse signals", ActivityKind.Consumer, parentContext: default, links: links);
        activity?.SetTag("analytics.signals", page.Count);
        return activity;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fusion starts after signal log position {Checkpoint}")]
    private partial void LogStarting(string checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fusion failed and restarts from its checkpoint in {Seconds} s")]
    private partial void LogRestart(Exception error, double seconds);
}
