using System.Diagnostics;
using System.Text.Json;
using Analytics.EventLog;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Analytics.Rules.Hosting;

/// <summary>
/// Feeds the observation log to a service's rules and commits their signals together with the
/// checkpoint, in one transaction. Rule state open at a checkpoint (a dwell in progress) is
/// rebuilt after a restart by replaying each affected camera from the event time its state began;
/// signal ids are deterministic and inserts idempotent, so the replay duplicates nothing.
/// </summary>
public sealed partial class RuleConsumer(
    string name,
    Func<IRule> createRules,
    NpgsqlDataSource dataSource,
    PostgresEventLog log,
    ZoneSource zones,
    ILogger<RuleConsumer> logger) : BackgroundService
{
    /// <summary>
    /// How far behind an organization's newest event time the rules' clock is moved for its cameras
    /// that went silent: observations of one camera may arrive this much out of order across cameras.
    /// </summary>
    public static readonly TimeSpan AdvanceLag = TimeSpan.FromSeconds(5);

    private readonly ObservationDecoder _decoder = new();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ConsumerRestarts.RunAsync(RunAsync, (e, backoff) => LogRestart(e, name, backoff.TotalSeconds), stoppingToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var (checkpoint, replayFrom, replayStateJson) = await log.LoadReplayCheckpointAsync(name, cancellationToken);
        var replaySince = JsonSerializer.Deserialize<Dictionary<string, DateTimeOffset>>(replayStateJson) ?? [];
        var rules = createRules();
        var positions = new CameraPositions();
        var signals = new List<TracedSignal>();
        var sink = new TracingSink(signals);
        // The newest event time per organization: the watermark that closes its silent cameras.
        var latest = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var advanced = new HashSet<string>(StringComparer.Ordinal);
        LogStarting(name, checkpoint.ToString(), replayFrom.ToString(), replaySince.Count);

        await foreach (var page in log.SubscribeAsync(replayFrom, rules.ObservationTypes, cancellationToken))
        {
            var catalog = await zones.CurrentAsync(cancellationToken);
            using var activity = StartEvaluation(page);
            signals.Clear();
            foreach (var entry in page)
            {
                var record = entry.Record;
                if (!IsObservation(record.Type))
                {
                    continue;
                }
                var camera = CameraKey.Of(record.OrgId, record.CameraId);
                // Before the checkpoint only what rebuilds open state is fed again.
                if (entry.Position <= checkpoint && (!replaySince.TryGetValue(camera, out var since) || record.OccurredAt < since))
                {
                    continue;
                }
                DateTimeOffset occurredAt;
                if (!rules.ObservationTypes.Contains(record.Type))
                {
                    // Not read by these rules, so the log sent only its envelope; its event
                    // time (the observation's) still moves the clock.
                    occurredAt = record.OccurredAt;
                }
                else if (Decode(entry) is { } observation)
                {
                    occurredAt = observation.OccurredAt;
                    sink.Current = record;
                    rules.Observe(observation, catalog.For(record.OrgId, record.CameraId), sink);
                }
                else
                {
                    continue;
                }
                positions.Seen(camera, entry.Position, occurredAt);
                if (!latest.TryGetValue(record.OrgId, out var orgLatest) || occurredAt > orgLatest)
                {
                    latest[record.OrgId] = occurredAt;
                    advanced.Add(record.OrgId);
                }
            }
            sink.Current = null;

            // Only organizations whose watermark moved with this page can have anything to close.
            foreach (var orgId in advanced)
            {
                rules.Advance(latest[orgId] - AdvanceLag, sink, orgId);
            }
            advanced.Clear();

            var open = rules.OpenStateSince();
            positions.Forget(open);
            var end = page[^1].Position;
            var state = JsonSerializer.Serialize(open);
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var stored = await SignalStore.InsertAsync(connection, signals, cancellationToken);
            await PostgresEventLog.CommitCheckpointAsync(
                connection, name, end > checkpoint ? end : checkpoint, cancellationToken, positions.ReplayFrom(open, end), state);
            await transaction.CommitAsync(cancellationToken);
            activity?.SetTag("analytics.signals", stored);
        }
    }

    /// <summary>
    /// The observation of an entry, or null (logged) when it cannot be read. Ingest validates
    /// everything it stores, so this is a foreign or damaged entry; skipping it keeps one bad row
    /// from stopping every rule behind it forever.
    /// </summary>
    private Observation? Decode(LogEntry entry)
    {
        try
        {
            return _decoder.Decode(entry.Record.Payload.Span);
        }
        catch (JsonException e)
        {
            LogUndecodable(e, name, entry.Position.ToString(), entry.Record.Type);
            return null;
        }
    }

    private static bool IsObservation(string type) =>
        type is EventTypes.TrackUpdate or EventTypes.ZoneHit or EventTypes.AffectTelemetry;

    /// <summary>One span per page, linked to the requests that brought its observations.</summary>
    private static Activity? StartEvaluation(IReadOnlyList<LogEntry> page)
    {
        var activity = Telemetry.StartLinkedConsumer("evaluate rules", page.Select(e => (e.Record.TraceParent, e.Record.TraceState)));
        activity?.SetTag("analytics.observations", page.Count);
        return activity;
    }

    /// <summary>Tags each signal with the trace of the observation that completed it.</summary>
    private sealed class TracingSink(List<TracedSignal> signals) : ISignalSink
    {
        public LogRecord? Current { get; set; }

        public void Emit(Signal signal) => signals.Add(new TracedSignal(signal, Current?.TraceParent, Current?.TraceState));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer} starts after {Checkpoint}, replaying from {ReplayFrom} for {Cameras} camera(s) with open state")]
    private partial void LogStarting(string consumer, string checkpoint, string replayFrom, int cameras);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer} skips log entry {Position} of type {Type}: its payload is not a readable observation")]
    private partial void LogUndecodable(Exception error, string consumer, string position, string type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} failed and restarts from its checkpoint in {Seconds} s")]
    private partial void LogRestart(Exception error, string consumer, double seconds);
}

/// <summary>
/// For each camera with open rule state, the log position of the first observation at or after
/// the event time that state began, so a restart knows where to start re-reading.
/// </summary>
internal sealed class CameraPositions
{
    private readonly Dictionary<string, List<(DateTimeOffset OccurredAt, LogPosition Position)>> _firstPerSecond = new(StringComparer.Ordinal);

    public void Seen(string camera, LogPosition position, DateTimeOffset occurredAt)
    {
        if (!_firstPerSecond.TryGetValue(camera, out var marks))
        {
            _firstPerSecond[camera] = marks = [];
        }
        // One mark per second of event time keeps this small at any frame rate.
        if (marks.Count == 0 || occurredAt - marks[^1].OccurredAt >= TimeSpan.FromSeconds(1))
        {
            marks.Add((occurredAt, position));
        }
    }

    /// <summary>Drops marks no open state needs any more.</summary>
    public void Forget(IReadOnlyDictionary<string, DateTimeOffset> open)
    {
        foreach (var (camera, marks) in _firstPerSecond)
        {
            if (!open.TryGetValue(camera, out var since))
            {
                marks.Clear();
                continue;
            }
            // Keep the last mark at or before `since`: replay starts there.
            var keepFrom = marks.FindLastIndex(m => m.OccurredAt <= since);
            if (keepFrom > 0)
            {
                marks.RemoveRange(0, keepFrom);
            }
        }
    }

    /// <summary>Where a restart re-reads from: just before the earliest mark an open state needs.</summary>
    public LogPosition ReplayFrom(IReadOnlyDictionary<string, DateTimeOffset> open, LogPosition checkpoint)
    {
        var from = checkpoint;
        foreach (var camera in open.Keys)
        {
            if (_firstPerSecond.TryGetValue(camera, out var marks) && marks.Count > 0 && marks[0].Position <= from)
            {
                from = marks[0].Position;
            }
        }
        // Reading is exclusive, so step back one within the same transaction.
        return from == checkpoint ? checkpoint : new LogPosition(from.TxId, from.Seq - 1);
    }
}
