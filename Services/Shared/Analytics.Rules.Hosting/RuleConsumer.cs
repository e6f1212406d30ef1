using System.Diagnostics;
using System.Text.Json;
using Analytics.Consumers;
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
/// a clock per camera; its host commits their signals together with the checkpoint, in one
/// transaction. Rule state open at a checkpoint (a dwell in progress) is rebuilt after a restart by
/// replaying each affected camera from the log position its open state began at; signal ids are
/// deterministic and inserts idempotent, so the replay duplicates nothing.
/// </summary>
public sealed partial class RuleConsumer(
    string name,
    Func<RuleEngine> createEngine,
    ZoneSource zones,
    OptedInOrganizations? optedIn,
    ILogger<RuleConsumer> logger) : ILogConsumer<LogEntry>
{
    private readonly ObservationDecoder _decoder = new();
    private readonly KeyValuePair<string, object?> _consumerTag = new("consumer", name);
    private readonly Dictionary<(string OrgId, string CameraId), (int Count, DateTimeOffset Newest)> _late = [];
    // Holds the signals a page yields; Start resets what it knows of the entry under way.
    private readonly TracingSink _sink = new();
    private RuleEngine _engine = createEngine();
    private CameraPositions _positions = new();
    private Dictionary<(string OrgId, string CameraId), LogPosition> _replay = [];
    private LogPosition _checkpoint = LogPosition.Start;

    /// <summary>The types whose payload the rules read; the log sends the others as their envelope alone.</summary>
    public IReadOnlySet<string> ObservationTypes => _engine.ObservationTypes;

    public LogPosition Start(Checkpoint checkpoint)
    {
        _replay = ReplayState.Read(checkpoint.ReplayState, checkpoint.ReplayFrom);
        _checkpoint = checkpoint.Position;
        _engine = createEngine();
        _positions = new CameraPositions();
        _sink.Current = null;
        _sink.Replaying = false;
        _late.Clear();
        LogStarting(name, _replay.Count);
        return checkpoint.ReplayFrom;
    }

    public async ValueTask ReplayAsync(LogPage<LogEntry> page, CancellationToken cancellationToken)
    {
        // Everything up to the checkpoint was decided and committed before: fed again only to
        // rebuild open state, its signals are not stored again (a dwell that had already ended
        // could otherwise come back shortened, under another id).
        _sink.Replaying = true;
        await FeedAsync(page, cancellationToken);
        _sink.Replaying = false;
    }

    public async Task<ReplayPoint?> HandleAsync(LogPage<LogEntry> page, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var activity = StartEvaluation(page.Entries);
        _sink.Signals.Clear();
        await FeedAsync(page, cancellationToken);

        var open = _engine.OpenStateSince();
        _positions.Forget(open);
        var (replayPositions, restartFrom) = _positions.ReplayFrom(open, page.End);
        var stored = await SignalStore.InsertAsync(connection, _sink.Signals, cancellationToken);
        activity?.SetTag("analytics.signals", stored);
        return new ReplayPoint(restartFrom, ReplayState.Write(replayPositions));
    }

    private async ValueTask FeedAsync(LogPage<LogEntry> page, CancellationToken cancellationToken)
    {
        var catalog = await zones.CurrentAsync(cancellationToken);
        var served = optedIn is null ? null : await optedIn.CurrentAsync(cancellationToken);
        foreach (var entry in page.Entries)
        {
            var record = entry.Record;
            if (!EventTypes.IsCameraEvent(record.Type) || (served is not null && !served.Contains(record.OrgId)))
            {
                continue;
            }
            var camera = (record.OrgId, record.CameraId);
            // Before the checkpoint only what rebuilds a camera's open state is fed again.
            if (entry.Position <= _checkpoint && !(_replay.TryGetValue(camera, out var from) && entry.Position >= from))
            {
                continue;
            }
            var context = catalog.For(record.OrgId, record.CameraId);
            _sink.Current = record;
            Fed fed;
            if (record.Type == EventTypes.CameraIdle)
            {
                if (_engine.CloseIdle(context, record.OccurredAt, _sink))
                {
                    RuleMetrics.IdleCloses.Add(1, _consumerTag);
                    LogIdleClose(name, record.OrgId, record.CameraId, record.OccurredAt);
                }
                _positions.Reset(camera);
                continue;
            }
            else if (record.Type == EventTypes.CameraHeartbeat)
            {
                fed = _engine.Heartbeat(context, record.OccurredAt, _sink);
            }
            else if (!_engine.ObservationTypes.Contains(record.Type))
            {
                // Not read by these rules, so the log sent only its envelope; its event
                // time (the observation's) still moves the camera's clock.
                fed = _engine.Pass(context, record.OccurredAt, _sink);
            }
            else if (Decode(entry) is { } observation)
            {
                fed = _engine.Observe(observation, context, _sink);
            }
            else
            {
                continue;
            }

            if ((fed & Fed.Late) != 0)
            {
                _late[camera] = _late.TryGetValue(camera, out var seen)
                    ? (seen.Count + 1, seen.Newest > record.OccurredAt ? seen.Newest : record.OccurredAt)
                    : (1, record.OccurredAt);
                continue;
            }
            if ((fed & Fed.AfterIdleClose) != 0)
            {
                RuleMetrics.AfterIdleClose.Add(1, _consumerTag);
            }
            _positions.Seen(camera, entry.Position, record.OccurredAt);
        }
        _sink.Current = null;
        ReportLate();
    }

    private void ReportLate()
    {
        foreach (var ((orgId, cameraId), (count, newest)) in _late)
        {
            RuleMetrics.LateObservations.Add(count, _consumerTag);
            LogLate(name, count, orgId, cameraId, newest);
        }
        _late.Clear();
    }

    /// <summary>
    /// The observation of an entry. Ingest validates everything it stores, so a payload that does
    /// not decode is a foreign or damaged entry: it throws, and the host sets the entry aside as a
    /// dead letter. In a replay it is skipped instead (null): it was set aside, or skipped by an
    /// older version, when it was first read, and it changed nothing then.
    /// </summary>
    private Observation? Decode(LogEntry entry)
    {
        try
        {
            return _decoder.Decode(entry.Record.Payload.Span);
        }
        catch (JsonException) when (_sink.Replaying)
        {
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
    private sealed class TracingSink : ISignalSink
    {
        public List<TracedSignal> Signals { get; } = [];

        public LogRecord? Current { get; set; }

        /// <summary>Whether the current entry lies at or before the checkpoint, so its signals were stored with it.</summary>
        public bool Replaying { get; set; }

        public void Emit(Signal signal)
        {
            if (!Replaying)
            {
                Signals.Add(new TracedSignal(signal, Current?.TraceParent, Current?.TraceState));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer} replays {Cameras} camera(s) with open state")]
    private partial void LogStarting(string consumer, int cameras);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} left {Count} late observation(s) of camera {CameraId} of {OrgId} out of its rules (newest {Newest:O}): older than the camera's watermark, so they change no signal; they stay in the log")]
    private partial void LogLate(string consumer, int count, string orgId, string cameraId, DateTimeOffset newest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer} closed the open behaviours of camera {CameraId} of {OrgId}: it sent nothing for Rules:IdleTimeoutSeconds after {LastEventTime:O}")]
    private partial void LogIdleClose(string consumer, string orgId, string cameraId, DateTimeOffset lastEventTime);
}
