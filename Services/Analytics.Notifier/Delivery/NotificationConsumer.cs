using System.Diagnostics;
using System.Text.Json;
using Analytics.Data.Incidents;
using Analytics.Data.Notifications;
using Analytics.EventLog;
using Analytics.Notifier.Decisions;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Notifier.Delivery;

/// <summary>
/// An incident event as stored, with the trace of what caused it. <see cref="Event"/> is read only
/// for the types that can notify; for the others (most of them: attached signals) it is null.
/// </summary>
public sealed record StoredIncidentEvent(IncidentEvent? Event, string? TraceParent, string? TraceState);

/// <summary>
/// Reads the incident events and decides, for every change that could notify, what each rule of
/// the organization does with it. The decisions (the delivery log and the dispatcher's outbox)
/// and the checkpoint commit in one transaction: a change is decided once, never twice, even when
/// the notifier stops mid-page.
/// </summary>
public sealed partial class NotificationConsumer(
    NpgsqlDataSource dataSource,
    IOptions<NotifierSettings> settings,
    NotifierMetrics metrics,
    TimeProvider clock,
    ILogger<NotificationConsumer> logger) : BackgroundService
{
    public const string Name = "notifier";

    // Only the types that can notify are parsed; an attached signal, the bulk of the stream, costs
    // the notifier a type and a trace context, not a JSON document.
    private static readonly PostgresFeedDefinition<StoredIncidentEvent> IncidentEvents = new(
        "incident_events",
        IncidentStore.Channel,
        "CASE WHEN type IN ('opened', 'reopened', 'severityChanged', 'resolved') THEN document::text END, trace_parent, trace_state",
        (reader, _) => new StoredIncidentEvent(
            reader.IsDBNull(2) ? null : JsonSerializer.Deserialize(reader.GetString(2), AnalyticsJsonContext.Default.IncidentEvent)!,
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4)));

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ConsumerRestarts.RunAsync(RunAsync, (e, backoff) => LogRestart(e, backoff.TotalSeconds), stoppingToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var policy = new NotificationPolicy(settings.Value);
        var checkpoint = await new PostgresEventLog(dataSource).LoadCheckpointAsync(Name, cancellationToken);
        LogStarting(checkpoint.ToString());
        var feed = new PostgresFeed<StoredIncidentEvent>(dataSource, IncidentEvents);
        await foreach (var (page, end) in feed.SubscribeAsync(checkpoint, cancellationToken))
        {
            using var activity = StartDecision(page);
            var decided = await DecideAsync(policy, page, end, cancellationToken);
            activity?.SetTag("analytics.deliveries", decided);
        }
    }

    /// <returns>How many decisions the page produced.</returns>
    private async Task<int> DecideAsync(NotificationPolicy policy, IReadOnlyList<StoredIncidentEvent> page, LogPosition end, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Only these can notify; the rest of the page just moves the checkpoint.
        var candidates = page.Where(e => e.Event is not null).Select(e => (Event: e.Event!, e.TraceParent, e.TraceState)).ToList();
        var rows = new List<DeliveryRow>();
        if (candidates.Count > 0)
        {
            var orgIds = candidates.Select(c => c.Event.OrgId).Distinct(StringComparer.Ordinal).ToArray();
            var rules = await NotificationRuleStore.ForOrganizationsAsync(connection, orgIds, cancellationToken);
            var histories = await IncidentStore.HistoriesAsync(connection, candidates.Select(c => c.Event).ToList(), cancellationToken);
            var ledger = await DecisionLog.LedgerAsync(connection, candidates.Select(c => c.Event).ToList(), policy.WindowStart(now), policy.Window, cancellationToken);
            var digests = new Dictionary<(string OrgId, string RuleId), string>();

            foreach (var (e, traceParent, traceState) in candidates)
            {
                var change = histories.ChangeAt(e);
                var decisions = policy.Decide(change, rules.GetValueOrDefault(e.OrgId, []), ledger, now);
                foreach (var decision in decisions)
                {
                    string? digestId = null;
                    if (decision.Status == DeliveryStatus.FoldedIntoDigest)
                    {
                        var rule = decision.Rule!;
                        if (!digests.TryGetValue((e.OrgId, rule.RuleId), out digestId))
                        {
                            digestId = await DecisionLog.OpenDigestAsync(connection, rule, policy.WindowStart(now), policy.Window, now, cancellationToken);
                            digests[(e.OrgId, rule.RuleId)] = digestId;
                        }
                    }
                    rows.Add(new DeliveryRow(e, decision, change.After.ToContract(histories.SignalIdsAt(e)), digestId, now, traceParent, traceState));
                }
            }
            await DecisionLog.InsertAsync(connection, rows, cancellationToken);
        }

        await PostgresEventLog.CommitCheckpointAsync(connection, Name, end, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var row in rows)
        {
            metrics.Decided(row.Decision.Status);
        }
        return rows.Count;
    }

    /// <summary>One span per page, linked to the traces that caused its incident changes.</summary>
    private static Activity? StartDecision(IReadOnlyList<StoredIncidentEvent> page)
    {
        var activity = Telemetry.StartLinkedConsumer("decide notifications", page.Select(e => (e.TraceParent, e.TraceState)));
        activity?.SetTag("analytics.incident_events", page.Count);
        return activity;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Notifier starts after incident event position {Checkpoint}")]
    private partial void LogStarting(string checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notifier decisions failed and restart from the checkpoint in {Seconds} s")]
    private partial void LogRestart(Exception error, double seconds);
}
