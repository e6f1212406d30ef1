using System.Diagnostics;
using System.Text.Json;
using Analytics.Data.Signals;
using Analytics.EventLog;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Analytics.Rules.Hosting;

/// <summary>
/// Feeds the observation log to a service's rules, through a <see cref="RuleEngine"/> that keeps
/// a clock per camera, and commits their signals together with the checkpoint, in one
/// transaction. Rule state open at a checkpoint (a dwell in progress) is rebuilt after a restart by
/// replaying each affected camera from the log position its open state began at; signal ids are
/// deterministic and inserts idempotent, so the replay duplicates nothing.
/// </summary>
public sealed partial class RuleConsumer(
    string name,
    Func<RuleEngine> createEngine,
    NpgsqlDataSource dataSource,
    PostgresEventLog log,
    ZoneSource zones,
    ILogger<RuleConsumer> logger) : BackgroundService
{
    private readonly ObservationDecoder _decoder = new();
    private readonly KeyValuePair<string, object?> _consumerTag = new("consumer", name);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ConsumerRestarts.RunAsync(RunAsync, (e, backoff) => LogRestart(e, name, backoff.TotalSeconds), stoppingToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var (checkpoint, replayFrom, replayStateJson) = await log.LoadReplayCheckpointAsync(name, cancellationToken);
        var replay = ReplayState.Read(replayStateJson, replayFrom);
        var engine = createEngine();
        var positions = new CameraPositions();
        var signals = new List<TracedSignal>();
        var sink = new TracingSink(signals);
        var late = new Dictionary<(string OrgId, string CameraId), (int Count, DateTimeOffset Newest)>();
        LogStarting(name, checkpoint.ToString(), replayFrom.ToString(), replay.Count);

        await foreach (var page in log.SubscribeAsync(replayFrom, engine.ObservationTypes, cancellationToken))
        {
            var catalog = await zones.CurrentAsync(cancellationToken);
            using var activity = StartEvaluation(page);
            signals.Clear();
            foreach (var entry in page)
            {
                var record = entry.Record;
                if (!EventTypes.IsCameraEvent(record.Type))
                {
                    continue;
                }
                var camera = (record.OrgId, record.CameraId);
                // Before the checkpoint only what rebuilds a camera's open state is fed again.
                if (entry.Position <= checkpoint && !(replay.TryGetValue(camera, out var from) && entry.Position >= from))
                {
                    continue;
                }
                var context = catalog.For(record.OrgId, record.CameraId);
                sink.Current = record;
                Fed fed;
                // Everything up to the checkpoint was decided and committed before: fed again only
                // to rebuild open state, its signals are not stored again (a dwell that had already
                // ended could otherwise come back shortened, under another id).
                sink.Replaying = entry.Position <= checkpoint;
                if (record.Type == EventTypes.CameraIdle)
                {
                    if (engine.CloseIdle(context, record.OccurredAt, sink))
                    {
                        RuleMetrics.IdleCloses.Add(1, _consumerTag);
                        LogIdleClose(name, record.OrgId, record.CameraId, record.OccurredAt);
                    }
                    positions.Reset(camera);
                    continue;
                }
                else if (record.Type == EventTypes.CameraHeartbeat)
                {
                    fed = engine.Heartbeat(context, record.OccurredAt, sink);
                }
                else if (!engine.ObservationTypes.Contains(record.Type))
                {
                    // Not read by these rules, so the log sent only its envelope; its event
                    // time (the observation's) still moves the camera's clock.
                    fed = engine.Pass(context, record.OccurredAt, sink);
                }
                else if (Decode(entry) is { } observation)
                {
                    fed = engine.Observe(observation, context, sink);
                }
                else
                {
                    continue;
                }

                if ((fed & Fed.Late) != 0)
                {
                    late[camera] = late.TryGetValue(camera, out var seen)
                        ? (seen.Count + 1, seen.Newest > record.OccurredAt ? seen.Newest : record.OccurredAt)
                        : (1, record.OccurredAt);
                    continue;
                }
                if ((fed & Fed.AfterIdleClose) != 0)
                {
                    RuleMetrics.AfterIdleClose.Add(1, _consumerTag);
                }
                positions.Seen(camera, entry.Position, record.OccurredAt);
            }
            sink.Current = null;
            ReportLate(late);
            var end = page[^1].Position;
            if (end <= checkpoint)
            {
                // Still replaying: the stored checkpoint and replay positions stand until the
                // replay has passed them, so a second restart in the middle loses nothing.
                continue;
            }

            var open = engine.OpenStateSince();
            positions.Forget(open);
            var (replayPositions, restartFrom) = positions.ReplayFrom(open, end);
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var stored = await SignalStore.InsertAsync(connection, signals, cancellationToken);
            await PostgresEventLog.CommitCheckpointAsync(
                connection, name, end, cancellationToken, restartFrom, ReplayState.Write(replayPositions));
            await transaction.CommitAsync(cancellationToken);
            activity?.SetTag("analytics.signals", stored);
        }
    }

    private void ReportLate(Dictionary<(string OrgId, string CameraId), (int Count, DateTimeOffset Newest)> late)
    {
        foreach (var ((orgId, cameraId), (count, newest)) in late)
        {
            RuleMetrics.LateObservations.Add(count, _consumerTag);
            LogLate(name, count, orgId, cameraId, newest);
        }
        late.Clear();
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

    /// <summary>One span per page, linked to the requests that brought its observations.</summary>
    private static Activity? StartEvaluation(IReadOnlyList<LogEntry> page)
    {
        var activity = Telemetry.StartLinkedConsumer("evaluate rules", page.Select(e => (e.Record.TraceParent, e.Record.TraceState)));
        activity?.SetTag("analytics.observations", page.Count);
        return activity;
    }

    /// <summary>Tags each signal with the trace of the entry that completed it; drops what a replay yields again.</summary>
    private sealed class TracingSink(List<TracedSignal> signals) : ISignalSink
    {
        public LogRecord? Current { get; set; }

        /// <summary>Whether the current entry lies at or before the checkpoint, so its signals were stored with it.</summary>
        public bool Replaying { get; set; }

        public void Emit(Signal signal)
        {
            if (!Replaying)
            {
                signals.Add(new TracedSignal(signal, Current?.TraceParent, Current?.TraceState));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer} starts after {Checkpoint}, replaying from {ReplayFrom} for {Cameras} camera(s) with open state")]
    private partial void LogStarting(string consumer, string checkpoint, string replayFrom, int cameras);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer} skips log entry {Position} of type {Type}: its payload is not a readable observation")]
    private partial void LogUndecodable(Exception error, string consumer, string position, string type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} left {Count} late observation(s) of camera {CameraId} of {OrgId} out of its rules (newest {Newest:O}): older than the camera's watermark, so they change no signal; they stay in the log")]
    private partial void LogLate(string consumer, int count, string orgId, string cameraId, DateTimeOffset newest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer} closed the open behaviours of camera {CameraId} of {OrgId}: it sent nothing for Rules:IdleTimeoutSeconds after {LastEventTime:O}")]
    private partial void LogIdleClose(string consumer, string orgId, string cameraId, DateTimeOffset lastEventTime);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} failed and restarts from its checkpoint in {Seconds} s")]
    private partial void LogRestart(Exception error, string consumer, double seconds);
}
