using Analytics.Incidents;
using Analytics.Notifier;
using Analytics.Notifier.Decisions;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Notifier;

/// <summary>
/// What the notifier decides for an incident change and each rule, without a database: which
/// changes notify, which rule matches, and what holds a notification back (silence,
/// acknowledgement, quiet hours, cooldown, quota).
/// </summary>
public sealed class NotificationPolicyTests
{
    private const string OrgId = "org-1";
    private static readonly DateTimeOffset T0 = new(2025, 1, 15, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    // Europe/Berlin is UTC+1 in January and UTC+2 in July; quiet from 22:00 to 06:00 local time.
    [InlineData("2025-01-15T20:59:00Z", false)] // 21:59
    [InlineData("2025-01-15T21:00:00Z", true)]  // 22:00, the window starts
    [InlineData("2025-01-15T23:30:00Z", true)]  // 00:30, after midnight: yesterday's window
    [InlineData("2025-01-16T04:59:00Z", true)]  // 05:59
    [InlineData("2025-01-16T05:00:00Z", false)] // 06:00, the window has ended
    [InlineData("2025-07-15T20:00:00Z", true)]  // 22:00 in summer time
    [InlineData("2025-07-15T04:30:00Z", false)] // 06:30 in summer time, though 05:30 in winter time
    public void Quiet_hours_cross_midnight_in_the_rules_own_time_zone(string at, bool quiet)
    {
        var rule = Rule("r-1") with { QuietHours = new ActiveHours { TimeZone = "Europe/Berlin", Start = new TimeOnly(22, 0), End = new TimeOnly(6, 0) } };
        var instant = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture);

        var decision = Assert.Single(Policy().Decide(Opened("inc-1", instant), [rule], new NotificationLedger(), instant));

        Assert.Equal(quiet ? DeliveryStatus.SuppressedQuietHours : DeliveryStatus.Pending, decision.Status);
        if (quiet)
        {
            Assert.Contains("Europe/Berlin", decision.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_same_instant_is_quiet_in_one_time_zone_and_not_in_another()
    {
        var hours = new ActiveHours { TimeZone = "America/New_York", Start = new TimeOnly(22, 0), End = new TimeOnly(6, 0) };
        var berlin = Rule("berlin") with { QuietHours = hours with { TimeZone = "Europe/Berlin" } };
        var newYork = Rule("new-york") with { QuietHours = hours };
        var at = new DateTimeOffset(2025, 1, 15, 23, 0, 0, TimeSpan.Zero); // 00:00 in Berlin, 18:00 in New York

        var decisions = Policy().Decide(Opened("inc-1", at), [berlin, newYork], new NotificationLedger(), at);

        Assert.Equal(DeliveryStatus.SuppressedQuietHours, decisions.Single(d => d.Rule!.RuleId == "berlin").Status);
        Assert.Equal(DeliveryStatus.Pending, decisions.Single(d => d.Rule!.RuleId == "new-york").Status);
    }

    [Fact]
    public void Cooldown_holds_back_further_changes_of_the_same_incident_for_that_rule_only()
    {
        var slow = Rule("slow") with { CooldownSeconds = 300 };
        var eager = Rule("eager") with { CooldownSeconds = 0 };
        var policy = Policy();
        var ledger = new NotificationLedger();
        var incident = State("inc-1", Severity.Medium, IncidentStatus.Open);

        Assert.All(policy.Decide(Opened("inc-1", T0), [slow, eager], ledger, T0), d => Assert.Equal(DeliveryStatus.Pending, d.Status));

        var soon = policy.Decide(Change(IncidentEventType.Reopened, incident, incident, T0.AddSeconds(299)), [slow, eager], ledger, T0.AddSeconds(299));
        var cooled = soon.Single(d => d.Rule!.RuleId == "slow");
        Assert.Equal(DeliveryStatus.SuppressedCooldown, cooled.Status);
        Assert.Contains("299 s earlier", cooled.Reason, StringComparison.Ordinal);
        Assert.Equal(DeliveryStatus.Pending, soon.Single(d => d.Rule!.RuleId == "eager").Status);

        // Another incident is not held back by the first one's cooldown.
        Assert.Equal(DeliveryStatus.Pending, policy.Decide(Opened("inc-2", T0.AddSeconds(10)), [slow], ledger, T0.AddSeconds(10)).Single().Status);

        // Measured from the last notification that went out, not from the suppressed change.
        var later = policy.Decide(Change(IncidentEventType.Reopened, incident, incident, T0.AddSeconds(300)), [slow], ledger, T0.AddSeconds(300));
        Assert.Equal(DeliveryStatus.Pending, later.Single().Status);
    }

    [Fact]
    public void Over_the_quota_notifications_fold_into_a_digest_until_the_window_closes()
    {
        var policy = Policy(quota: 2, windowSeconds: 60);
        var ledger = new NotificationLedger();
        var rule = Rule("r-1");
        var windowStart = new DateTimeOffset(2025, 1, 15, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal(windowStart, policy.WindowStart(windowStart.AddSeconds(59.9)));

        var statuses = Enumerable.Range(0, 4)
            .Select(i => policy.Decide(Opened($"inc-{i}", windowStart.AddSeconds(i)), [rule], ledger, windowStart.AddSeconds(i)).Single())
            .ToList();

        Assert.Equal([DeliveryStatus.Pending, DeliveryStatus.Pending, DeliveryStatus.FoldedIntoDigest, DeliveryStatus.FoldedIntoDigest], statuses.Select(d => d.Status));
        Assert.Contains("quota", statuses[2].Reason, StringComparison.Ordinal);
        // Folded notifications count for the cooldown but not for the quota.
        Assert.NotNull(ledger.LastNotified(new NotificationLedger.Key(OrgId, "r-1", "inc-3")));
        Assert.Equal(2, ledger.Used(OrgId, windowStart));

        var nextWindow = windowStart.AddSeconds(60);
        Assert.Equal(DeliveryStatus.Pending, policy.Decide(Opened("inc-9", nextWindow), [rule], ledger, nextWindow).Single().Status);
    }

    [Fact]
    public void Opened_reopened_and_raised_severity_notify_while_other_changes_do_not()
    {
        var policy = Policy();
        var rule = Rule("r-1");
        var medium = State("inc-1", Severity.Medium, IncidentStatus.Open);
        var high = medium with { Severity = Severity.High, Version = 3 };

        Assert.Single(policy.Decide(Change(IncidentEventType.SeverityChanged, medium, high, T0), [rule], new NotificationLedger(), T0));
        Assert.Empty(policy.Decide(Change(IncidentEventType.SeverityChanged, high, medium, T0), [rule], new NotificationLedger(), T0));
        // A new kind at the same severity (signals fused into a correlation) is not an escalation.
        Assert.Empty(policy.Decide(Change(IncidentEventType.SeverityChanged, medium, medium with { Kind = "suspected_theft" }, T0), [rule], new NotificationLedger(), T0));
        Assert.Empty(policy.Decide(Change(IncidentEventType.SignalAttached, medium, medium, T0), [rule], new NotificationLedger(), T0));
        Assert.Empty(policy.Decide(Change(IncidentEventType.Comment, medium, medium, T0), [rule], new NotificationLedger(), T0));
        Assert.Single(policy.Decide(Change(IncidentEventType.Reopened, medium, medium, T0), [rule], new NotificationLedger(), T0));

        var resolved = medium with { Status = IncidentStatus.Resolved };
        Assert.Empty(policy.Decide(Change(IncidentEventType.Resolved, medium, resolved, T0), [rule], new NotificationLedger(), T0));
        var onResolved = Rule("r-2") with { NotifyOnResolved = true };
        var decisions = policy.Decide(Change(IncidentEventType.Resolved, medium, resolved, T0), [rule, onResolved], new NotificationLedger(), T0);
        Assert.Equal("r-2", Assert.Single(decisions).Rule!.RuleId);
    }

    [Fact]
    public void A_silence_or_an_acknowledgement_suppresses_with_its_reason()
    {
        var policy = Policy();
        var rule = Rule("r-1");
        var silenced = Opened("inc-1", T0) with { Event = (IncidentOpened)Opened("inc-1", T0).Event with { SilenceId = "sil-7" } };

        var muted = Assert.Single(policy.Decide(silenced, [rule], new NotificationLedger(), T0));
        Assert.Equal(DeliveryStatus.SuppressedSilence, muted.Status);
        Assert.Equal("sil-7", muted.SilenceId);

        var acknowledged = State("inc-1", Severity.Medium, IncidentStatus.Acknowledged) with { AcknowledgedAt = T0 };
        var escalated = acknowledged with { Severity = Severity.High, Version = 4 };
        var held = Assert.Single(policy.Decide(Change(IncidentEventType.SeverityChanged, acknowledged, escalated, T0.AddMinutes(1)), [rule], new NotificationLedger(), T0));
        Assert.Equal(DeliveryStatus.SuppressedAcknowledged, held.Status);
        Assert.Contains("acknowledged", held.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_matching_rule_one_decision_says_why_each_rule_did_not_match()
    {
        var policy = Policy();
        var rules = new[]
        {
            Rule("a-severity") with { MinSeverity = Severity.Critical },
            Rule("b-domain") with { Domains = [Domain.Safety] },
            Rule("c-kind") with { Kinds = ["fall"] },
            Rule("d-off") with { Enabled = false },
        };

        var decision = Assert.Single(policy.Decide(Opened("inc-1", T0), rules, new NotificationLedger(), T0));

        Assert.Equal(DeliveryStatus.NoMatchingRule, decision.Status);
        Assert.Null(decision.Rule);
        Assert.Contains("a-severity wants severity critical or above, the incident is medium", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("b-domain covers the domains safety, not antitheft", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("c-kind covers the kinds fall, not loitering", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("d-off is disabled", decision.Reason, StringComparison.Ordinal);

        Assert.Equal("the organization has no notification rules", Assert.Single(policy.Decide(Opened("inc-1", T0), [], new NotificationLedger(), T0)).Reason);
    }

    private static NotificationPolicy Policy(int quota = 100, int windowSeconds = 3600) =>
        new(new NotifierSettings { HourlyQuotaPerOrganization = quota, QuotaWindowSeconds = windowSeconds });

    private static NotificationRule Rule(string id) => new()
    {
        OrgId = OrgId,
        RuleId = id,
        Name = id,
        Channel = NotificationChannel.Webhook,
        Url = "http://127.0.0.1:9/hook",
        MinSeverity = Severity.Low,
        CooldownSeconds = 0,
        NotifyOnResolved = false,
        Enabled = true,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    private static IncidentState State(string incidentId, Severity severity, IncidentStatus status) => new()
    {
        OrgId = OrgId,
        IncidentId = incidentId,
        GroupKey = "site-1/zone:z/loitering",
        Domain = Domain.Antitheft,
        Kind = "loitering",
        Severity = severity,
        Status = status,
        SiteId = "site-1",
        ZoneId = "z",
        SignalCount = 1,
        SignalKinds = ["loitering"],
        OpenedAt = T0,
        UpdatedAt = T0,
        LastSignalAt = T0,
        LastActivityAt = T0,
        Version = 2,
    };

    private static IncidentChange Opened(string incidentId, DateTimeOffset at) =>
        new(Event(incidentId, IncidentEventType.Opened, at, 1), null, State(incidentId, Severity.Medium, IncidentStatus.Open) with { Version = 1 });

    private static IncidentChange Change(IncidentEventType type, IncidentState before, IncidentState after, DateTimeOffset at) =>
        new(Event(before.IncidentId, type, at, before.Version + 1), before, after);

    /// <summary>An event of <paramref name="type"/> with what that type always carries; the policy reads the states around it.</summary>
    private static IncidentEvent Event(string incidentId, IncidentEventType type, DateTimeOffset at, int version) => type switch
    {
        IncidentEventType.Opened => new IncidentOpened
        {
            IncidentId = incidentId, OrgId = OrgId, Version = version, At = at, Actor = "fusion", SchemaVersion = 1,
            Domain = Domain.Antitheft, Kind = "loitering", Severity = Severity.Medium, SiteId = "site-1", ZoneId = "z",
            GroupKey = "site-1/zone:z/loitering", Reason = "loitering signal s-1 was medium",
        },
        IncidentEventType.SignalAttached => new IncidentSignalsAttached
        {
            IncidentId = incidentId, OrgId = OrgId, Version = version, At = at, Actor = "fusion", SchemaVersion = 1,
            Signals = [new AttachedSignal { Id = "s-2", Kind = "loitering", At = at, ZoneId = "z" }],
        },
        IncidentEventType.SeverityChanged => new IncidentSeverityChanged
        {
            IncidentId = incidentId, OrgId = OrgId, Version = version, At = at, Actor = "fusion", SchemaVersion = 1,
            SignalId = "s-2", Severity = Severity.High, Reason = "a more severe signal joined",
        },
        IncidentEventType.Acknowledged => new IncidentAcknowledged
        {
            IncidentId = incidentId, OrgId = OrgId, Version = version, At = at, Actor = "key:abc", SchemaVersion = 1,
        },
        IncidentEventType.Resolved => new IncidentResolved
        {
            IncidentId = incidentId, OrgId = OrgId, Version = version, At = at, Actor = "fusion", SchemaVersion = 1,
            Reason = "no new signal for 900 s",
        },
        IncidentEventType.Reopened => new IncidentReopened
        {
            IncidentId = incidentId, OrgId = OrgId, Version = version, At = at, Actor = "fusion", SchemaVersion = 1,
            SignalId = "s-3", Reason = "loitering signal s-3 came 60 s after it was resolved",
        },
        IncidentEventType.Comment => new IncidentCommented
        {
            IncidentId = incidentId, OrgId = OrgId, Version = version, At = at, Actor = "key:abc", SchemaVersion = 1,
            Comment = "looking",
        },
        IncidentEventType.Annotated => new IncidentAnnotated
        {
            IncidentId = incidentId, OrgId = OrgId, Version = version, At = at, Actor = "fusion", SchemaVersion = 1,
            Reason = "camera cam-1 went offline",
        },
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
