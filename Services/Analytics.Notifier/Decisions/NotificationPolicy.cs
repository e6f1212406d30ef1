using System.Globalization;
using Analytics.Incidents;
using Analytics.Schemas.Contracts;

namespace Analytics.Notifier.Decisions;

/// <summary>What happens to one incident change for one rule (or for none, when no rule matched).</summary>
public sealed record Decision(NotificationRule? Rule, DeliveryStatus Status, string Reason, string? SilenceId = null)
{
    /// <summary>Whether the decision sends something, now or in a digest; those count for the cooldown.</summary>
    public bool Notifies => Status is DeliveryStatus.Pending or DeliveryStatus.FoldedIntoDigest;
}

/// <summary>
/// Decides, without I/O, what an incident change does for each rule of its organization. The
/// order of the checks is the order an operator asks "why not?": did a rule match at all, was the
/// incident silenced, already acknowledged, inside the rule's quiet hours, within its cooldown,
/// and was the organization over its quota.
/// </summary>
public sealed class NotificationPolicy(NotifierSettings settings)
{
    /// <summary>
    /// Whether the change is one that notifies: an incident opened or reopened, its severity
    /// raised, or (for rules that ask) resolved. Attached signals, comments and annotations do not;
    /// neither does a severity change that lowers or keeps the severity.
    /// </summary>
    public static bool IsNotifiable(IncidentChange change) => change.Event switch
    {
        IncidentOpened or IncidentReopened or IncidentResolved => true,
        IncidentSeverityChanged => change.Before is { } before && change.After.Severity > before.Severity,
        _ => false,
    };

    /// <summary>Start of the quota window <paramref name="at"/> falls in; windows are aligned to the Unix epoch.</summary>
    public DateTimeOffset WindowStart(DateTimeOffset at)
    {
        var window = TimeSpan.FromSeconds(settings.QuotaWindowSeconds).Ticks;
        var sinceEpoch = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return DateTimeOffset.UnixEpoch.AddTicks(sinceEpoch - (sinceEpoch % window));
    }

    public TimeSpan Window => TimeSpan.FromSeconds(settings.QuotaWindowSeconds);

    /// <summary>
    /// One decision per matching rule, or one <see cref="DeliveryStatus.NoMatchingRule"/> naming why
    /// each rule did not match; nothing for a change that does not notify. Records what it decided
    /// in <paramref name="ledger"/>, so later changes in the same batch see it.
    /// </summary>
    /// <param name="change">The incident change.</param>
    /// <param name="rules">Every rule of the incident's organization, enabled or not.</param>
    /// <param name="ledger">Past notifications, for the cooldown and the quota.</param>
    /// <param name="now">When the notifier decides; the quota window is counted on it.</param>
    public IReadOnlyList<Decision> Decide(IncidentChange change, IReadOnlyList<NotificationRule> rules, NotificationLedger ledger, DateTimeOffset now)
    {
        if (!IsNotifiable(change))
        {
            return [];
        }
        var e = change.Event;
        var incident = change.After;
        var resolved = e is IncidentResolved;
        // Resolutions are for the rules that ask; with none asking, a resolution is no candidate
        // and leaves no trace in the delivery log.
        if (resolved && !rules.Any(r => r.NotifyOnResolved))
        {
            return [];
        }

        var misses = new List<string>();
        var matched = new List<NotificationRule>();
        foreach (var rule in rules.OrderBy(r => r.RuleId, StringComparer.Ordinal))
        {
            if (Miss(rule, incident, resolved) is { } miss)
            {
                misses.Add(miss);
            }
            else
            {
                matched.Add(rule);
            }
        }
        if (matched.Count == 0)
        {
            var reason = rules.Count == 0
                ? "the organization has no notification rules"
                : "no notification rule matched: " + string.Join("; ", misses);
            return [new Decision(null, DeliveryStatus.NoMatchingRule, reason)];
        }
        return matched.Select(rule => DecideFor(rule, change, ledger, now)).ToList();
    }

    private static string? Miss(NotificationRule rule, IncidentState incident, bool resolved)
    {
        if (resolved && !rule.NotifyOnResolved)
        {
            return $"rule {rule.RuleId} does not notify resolutions";
        }
        if (!rule.Enabled)
        {
            return $"rule {rule.RuleId} is disabled";
        }
        if (incident.Severity < rule.MinSeverity)
        {
            return $"rule {rule.RuleId} wants severity {Wire.Name(rule.MinSeverity)} or above, the incident is {Wire.Name(incident.Severity)}";
        }
        if (rule.Domains.Count > 0 && !rule.Domains.Contains(incident.Domain))
        {
            return $"rule {rule.RuleId} covers the domains {string.Join(", ", rule.Domains.Select(d => Wire.Name(d)))}, not {Wire.Name(incident.Domain)}";
        }
        if (rule.Kinds.Count > 0 && !rule.Kinds.Contains(incident.Kind, StringComparer.Ordinal))
        {
            return $"rule {rule.RuleId} covers the kinds {string.Join(", ", rule.Kinds)}, not {incident.Kind}";
        }
        return null;
    }

    private Decision DecideFor(NotificationRule rule, IncidentChange change, NotificationLedger ledger, DateTimeOffset now)
    {
        var e = change.Event;
        var key = new NotificationLedger.Key(e.OrgId, rule.RuleId, e.IncidentId);
        if (SilenceOf(e) is { } silenceId)
        {
            return new Decision(rule, DeliveryStatus.SuppressedSilence, $"silence {silenceId} matched the incident when it {Describe(e)}", silenceId);
        }
        // Before the change: a reopen clears the acknowledgement, so only changes of an incident
        // someone is already working on are held back.
        if (change.Before is { Status: IncidentStatus.Acknowledged, AcknowledgedAt: var acknowledgedAt })
        {
            return new Decision(rule, DeliveryStatus.SuppressedAcknowledged, Invariant($"the incident was acknowledged at {acknowledgedAt:O}; someone is on it"));
        }
        if (rule.QuietHours is { } quiet)
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(quiet.TimeZone);
            if (quiet.IsActive(e.At, zone))
            {
                var local = TimeZoneInfo.ConvertTime(e.At, zone);
                return new Decision(rule, DeliveryStatus.SuppressedQuietHours, Invariant(
                    $"{local:yyyy-MM-dd HH:mm} in {quiet.TimeZone} is inside rule {rule.RuleId}'s quiet hours {quiet.Start:HH\\:mm} to {quiet.End:HH\\:mm}"));
            }
        }
        if (rule.CooldownSeconds > 0 && ledger.LastNotified(key) is { } last && e.At - last < TimeSpan.FromSeconds(rule.CooldownSeconds))
        {
            return new Decision(rule, DeliveryStatus.SuppressedCooldown, Invariant(
                $"rule {rule.RuleId} notified about this incident {(e.At - last).TotalSeconds:0} s earlier, within its cooldown of {rule.CooldownSeconds} s"));
        }

        ledger.Notified(key, e.At);
        var window = WindowStart(now);
        if (ledger.Used(e.OrgId, window) >= settings.HourlyQuotaPerOrganization)
        {
            return new Decision(rule, DeliveryStatus.FoldedIntoDigest, Invariant(
                $"the organization had {settings.HourlyQuotaPerOrganization} notifications in the window from {window:O}, its quota; rule {rule.RuleId} sends this in one digest when the window closes"));
        }
        ledger.Count(e.OrgId, window);
        return new Decision(rule, DeliveryStatus.Pending, Invariant(
            $"rule {rule.RuleId} matched: the {change.After.Kind} incident ({Wire.Name(change.After.Severity)}) {Describe(e)}"));
    }

    private static string Describe(IncidentEvent e) => e switch
    {
        IncidentOpened => "opened",
        IncidentReopened => "reopened",
        IncidentSeverityChanged => "escalated",
        IncidentResolved => "resolved",
        _ => Wire.Name(e.Type),
    };

    /// <summary>The silence fusion found matching when it made the change; only the changes that notify are judged against silences.</summary>
    private static string? SilenceOf(IncidentEvent e) => e switch
    {
        IncidentOpened opened => opened.SilenceId,
        IncidentReopened reopened => reopened.SilenceId,
        IncidentSeverityChanged changed => changed.SilenceId,
        _ => null,
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// What the policy must remember across changes: when each rule last notified about each incident
/// (the cooldown) and how many notifications each organization had in a quota window. Loaded from
/// the delivery log for a batch and updated as the batch is decided.
/// </summary>
public sealed class NotificationLedger
{
    public readonly record struct Key(string OrgId, string RuleId, string IncidentId);

    private readonly Dictionary<Key, DateTimeOffset> _lastNotified = [];
    private readonly Dictionary<(string OrgId, DateTimeOffset Window), int> _used = [];

    public DateTimeOffset? LastNotified(Key key) => _lastNotified.TryGetValue(key, out var at) ? at : null;

    /// <summary>Records a notification at <paramref name="at"/> (event time), keeping the latest.</summary>
    public void Notified(Key key, DateTimeOffset at)
    {
        if (!_lastNotified.TryGetValue(key, out var known) || at > known)
        {
            _lastNotified[key] = at;
        }
    }

    public int Used(string orgId, DateTimeOffset window) => _used.GetValueOrDefault((orgId, window));

    public void Count(string orgId, DateTimeOffset window, int notifications = 1) =>
        _used[(orgId, window)] = Used(orgId, window) + notifications;
}
