using System.Text.Json;
using Analytics.Data.Notifications;
using Analytics.Notifier.Decisions;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Npgsql;

namespace Analytics.Notifier.Delivery;

/// <summary>One decision about to be written to the delivery log.</summary>
public sealed record DeliveryRow(
    IncidentEvent Event, Decision Decision, Incident Incident, string? DigestId, DateTimeOffset DecidedAt, string? TraceParent, string? TraceState);

/// <summary>
/// The notifier's decisions in the delivery log's terms, inside the consumer's transaction: what the
/// policy counts with (its <see cref="NotificationLedger"/>), the digest a decision folds into, and
/// the rows it writes, each named by <see cref="DeliveryIds"/> so deciding a change again writes
/// nothing twice. The SQL is <see cref="DeliveryStore"/>'s.
/// </summary>
public static class DecisionLog
{
    /// <summary>
    /// When each rule last notified about each incident of <paramref name="events"/>, and how many
    /// notifications each of their organizations had in the quota window from <paramref name="windowStart"/>.
    /// </summary>
    public static async Task<NotificationLedger> LedgerAsync(
        NpgsqlConnection connection, IReadOnlyList<IncidentEvent> events, DateTimeOffset windowStart, TimeSpan window, CancellationToken cancellationToken)
    {
        var incidents = events.Select(e => (e.OrgId, e.IncidentId)).Distinct().ToList();
        var counts = await DeliveryStore.CountsAsync(connection, incidents, windowStart, windowStart + window, cancellationToken);
        var ledger = new NotificationLedger();
        foreach (var last in counts.LastNotified)
        {
            ledger.Notified(new NotificationLedger.Key(last.OrgId, last.RuleId, last.IncidentId), last.EventAt);
        }
        foreach (var (orgId, used) in counts.QuotaUsed)
        {
            ledger.Count(orgId, windowStart, used);
        }
        return ledger;
    }

    /// <summary>
    /// The digest of <paramref name="rule"/> for the quota window, created when missing and locked
    /// until the transaction ends. A digest the dispatcher has taken is sealed, so what is folded
    /// later goes into the next window's digest and nothing is ever folded into one sent.
    /// </summary>
    /// <returns>The digest's delivery id.</returns>
    public static async Task<string> OpenDigestAsync(
        NpgsqlConnection connection, NotificationRule rule, DateTimeOffset windowStart, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var start = windowStart; ; start += window)
        {
            var key = DeliveryIds.DigestKey(rule.OrgId, rule.RuleId, start);
            var digest = new NewDigest(
                DeliveryIds.DeliveryId(key), key, rule.OrgId, rule.RuleId, rule.Channel,
                $"notifications of rule {rule.RuleId} over the organization's quota, sent together when the window closes",
                now, start, start + window);
            if (await DeliveryStore.OpenDigestAsync(connection, digest, cancellationToken))
            {
                return digest.DeliveryId;
            }
        }
    }

    /// <summary>Writes the decisions; those that send something wake the dispatcher once the caller commits.</summary>
    public static Task InsertAsync(NpgsqlConnection connection, IReadOnlyList<DeliveryRow> rows, CancellationToken cancellationToken) =>
        DeliveryStore.InsertAsync(connection, [.. rows.Select(ToNewDelivery)], cancellationToken);

    private static NewDelivery ToNewDelivery(DeliveryRow row)
    {
        var (e, decision, incident, digestId, decidedAt, traceParent, traceState) = row;
        var key = DeliveryIds.NotificationKey(e.OrgId, e.IncidentId, e.Version, decision.Rule?.RuleId);
        return new NewDelivery(
            DeliveryIds.DeliveryId(key), key, e.OrgId, decision.Status, decision.Reason, e.IncidentId, e.Version, e.Type, e.At,
            decision.Rule?.RuleId, decision.Rule?.Channel, decision.SilenceId, digestId, decidedAt,
            decision.Notifies ? JsonSerializer.Serialize(incident, AnalyticsJsonContext.Default.Incident) : null,
            traceParent, traceState);
    }
}
