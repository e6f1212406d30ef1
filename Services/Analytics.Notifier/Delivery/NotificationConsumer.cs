using System.Diagnostics;
using Analytics.Consumers;
using Analytics.Data.Incidents;
using Analytics.Data.Notifications;
using Analytics.EventLog;
using Analytics.Notifier.Decisions;
using Analytics.Schemas.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Notifier.Delivery;

/// <summary>
/// Reads the incident events and decides, for every change that could notify, what each rule of
/// the organization does with it. The decisions (the delivery log and the dispatcher's outbox)
/// and (by its host) the checkpoint commit in one transaction: a change is decided once, never
/// twice, even when the notifier stops mid-page.
/// </summary>
public sealed class NotificationConsumer(
    IOptions<NotifierSettings> settings,
    NotifierMetrics metrics,
    TimeProvider clock) : ILogConsumer<StoredIncidentEvent>
{
    public const string Name = "notifier";

    private readonly NotificationPolicy _policy = new(settings.Value);

    /// <summary>The incident event log, as the notifier reads it.</summary>
    public static IEventLog<StoredIncidentEvent> Log(NpgsqlDataSource dataSource) =>
        IncidentStore.NotifiableEventLog(dataSource);

    public async Task<ReplayPoint?> HandleAsync(LogPage<StoredIncidentEvent> page, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var activity = StartDecision(page.Entries);
        var decided = await DecideAsync(page.Entries, connection, cancellationToken);
        activity?.SetTag("analytics.deliveries", decided);
        return null;
    }

    /// <returns>How many decisions the page produced.</returns>
    private async Task<int> DecideAsync(IReadOnlyList<StoredIncidentEvent> page, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();

        // Only these can notify; the rest of the page just moves the checkpoint.
        var candidates = page.Where(e => e.Event is not null).Select(e => (Event: e.Event!, e.TraceParent, e.TraceState)).ToList();
        var rows = new List<DeliveryRow>();
        if (candidates.Count > 0)
        {
            var orgIds = candidates.Select(c => c.Event.OrgId).Distinct(StringComparer.Ordinal).ToArray();
            var rules = await NotificationRuleStore.ForOrganizationsAsync(connection, orgIds, cancellationToken);
            var events = candidates.Select(c => c.Event).ToList();
            var windowStart = _policy.WindowStart(now);
            var histories = await IncidentStore.HistoriesAsync(connection, events, cancellationToken);
            var ledger = await DecisionLog.LedgerAsync(connection, events, windowStart, _policy.Window, cancellationToken);
            var digests = new Dictionary<(string OrgId, string RuleId), string>();

            foreach (var (e, traceParent, traceState) in candidates)
            {
                var change = histories.ChangeAt(e);
                var decisions = _policy.Decide(change, rules.GetValueOrDefault(e.OrgId, []), ledger, now);
                foreach (var decision in decisions)
                {
                    string? digestId = null;
                    if (decision.Status == DeliveryStatus.FoldedIntoDigest)
                    {
                        var rule = decision.Rule!;
                        if (!digests.TryGetValue((e.OrgId, rule.RuleId), out digestId))
                        {
                            digestId = await DecisionLog.OpenDigestAsync(connection, rule, windowStart, _policy.Window, now, cancellationToken);
                            digests[(e.OrgId, rule.RuleId)] = digestId;
                        }
                    }
                    rows.Add(new DeliveryRow(e, decision, change.After.ToContract(histories.SignalIdsAt(e)), digestId, now, traceParent, traceState));
                }
            }
            await DecisionLog.InsertAsync(connection, rows, cancellationToken);
        }

        // Counted before the host commits: a page that then fails to commit is decided again, and
        // counted again, which a counter of decisions made (not kept) allows.
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
}
