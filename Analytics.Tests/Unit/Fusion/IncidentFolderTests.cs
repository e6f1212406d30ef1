using Analytics.Fusion.Incidents;
using Analytics.Incidents;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Fusion;

/// <summary>
/// How signals become incidents, decided without a database: grouping within the window,
/// correlation into a new kind, escalation, reopening and silences.
/// </summary>
public sealed class IncidentFolderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly FusionSettings Settings = new() { GroupWindowSeconds = 300, ReopenResolvedWithinSeconds = 600 };

    /// <summary>Folds signals in order, as fusion does, keeping the newest incident per group.</summary>
    private sealed class Fold(FusionSettings settings)
    {
        private readonly IncidentFolder _folder = new(settings);
        public Dictionary<string, IncidentState> Newest { get; } = [];
        public Dictionary<string, IncidentState> Incidents { get; } = [];
        public IncidentEventBatch Batch { get; } = new();
        public IReadOnlyList<IncidentEvent> Events => [.. Batch.Events.Select(e => e.Event)];

        public IncidentState Add(Signal signal, DateTimeOffset now, params Silence[] silences)
        {
            var key = _folder.GroupKeyOf(signal);
            var state = _folder.Fold(signal, Newest.GetValueOrDefault(key), now, silences, Batch);
            Newest[key] = state;
            Incidents[state.IncidentId] = state;
            return state;
        }
    }

    private static Signal Signal(string id, string kind, double startSeconds, double endSeconds, string? zone = "shelf-1",
        string camera = "cam-1", Severity severity = Severity.Medium, Domain domain = Domain.Antitheft) => new()
    {
        Id = id,
        OrgId = "org-1",
        Domain = domain,
        Kind = kind,
        Severity = severity,
        Confidence = 0.9,
        SiteId = "site-1",
        CameraId = camera,
        ZoneId = zone,
        TrackIds = ["p-1"],
        StartedAt = T0.AddSeconds(startSeconds),
        EndedAt = T0.AddSeconds(endSeconds),
        Evidence = new Evidence { Measurements = new Dictionary<string, double>() },
        SchemaVersion = 1,
    };

    [Fact]
    public void Repeated_signals_of_one_kind_and_zone_within_the_window_form_one_incident_and_a_later_one_opens_another()
    {
        var fold = new Fold(Settings);
        var first = fold.Add(Signal("s1", "intrusion", 0, 130), T0.AddSeconds(131));
        fold.Add(Signal("s2", "intrusion", 200, 330), T0.AddSeconds(331));
        var third = fold.Add(Signal("s3", "intrusion", 400, 530), T0.AddSeconds(531));
        // 300 s window after the last signal's end (530 s): 831 s is past it.
        var fourth = fold.Add(Signal("s4", "intrusion", 831, 961), T0.AddSeconds(962));

        Assert.Equal(first.IncidentId, third.IncidentId);
        Assert.Equal(3, third.SignalCount);
        Assert.NotEqual(first.IncidentId, fourth.IncidentId);
        Assert.Equal(
            [IncidentEventType.Opened, IncidentEventType.SignalAttached, IncidentEventType.SignalAttached, IncidentEventType.Opened],
            fold.Events.Select(e => e.Type));
    }

    [Fact]
    public void Signals_joining_one_incident_in_one_step_share_one_event_and_the_events_rebuild_the_same_incident()
    {
        var fold = new Fold(Settings);
        var now = T0.AddSeconds(600);
        fold.Add(Signal("s1", "intrusion", 0, 10, camera: "cam-1"), now);
        fold.Add(Signal("other", "loitering", 0, 130, zone: "shelf-9"), now);
        fold.Add(Signal("s2", "intrusion", 20, 30, camera: "cam-2"), now);
        var last = fold.Add(Signal("s3", "intrusion", 40, 50, camera: "cam-1"), now);

        var attached = Assert.Single(fold.Events.OfType<IncidentSignalsAttached>());
        Assert.Equal(["s2", "s3"], attached.Signals.Select(signal => signal.Id));
        Assert.Equal(2, attached.Version);
        Assert.Equal(3, last.SignalCount);
        Assert.Null(last.CameraId);
        Assert.Equal(T0.AddSeconds(50), last.LastSignalAt);
        Assert.Equivalent(last, Rebuild(fold.Events.Where(e => e.IncidentId == last.IncidentId)), strict: true);
    }

    [Fact]
    public void An_escalation_between_signals_or_a_full_event_starts_a_new_attachment()
    {
        var fold = new Fold(Settings);
        var now = T0.AddSeconds(600);
        fold.Add(Signal("s0", "intrusion", 0, 10, zone: "vault"), now);
        fold.Add(Signal("s1", "intrusion", 0, 10, zone: "vault"), now);
        fold.Add(Signal("s2", "intrusion", 0, 10, zone: "vault", severity: Severity.Critical), now);
        IncidentState last = null!;
        for (var i = 3; i < 3 + IncidentSignalsAttached.MaxSignalsPerEvent + 1; i++)
        {
            last = fold.Add(Signal($"s{i}", "intrusion", 0, 10, zone: "vault"), now);
        }

        // s1 and s2 share an attachment; the escalation s2 caused follows it, so s3 starts another
        // attachment, which fills up and leaves the last signal an event of its own.
        Assert.Equal(
            [IncidentEventType.Opened, IncidentEventType.SignalAttached, IncidentEventType.SeverityChanged,
                IncidentEventType.SignalAttached, IncidentEventType.SignalAttached],
            fold.Events.Select(e => e.Type));
        Assert.Equal([2, IncidentSignalsAttached.MaxSignalsPerEvent, 1], fold.Events.OfType<IncidentSignalsAttached>().Select(e => e.Signals.Count));
        Assert.Equal(IncidentSignalsAttached.MaxSignalsPerEvent + 4, last.SignalCount);
        Assert.Equivalent(last, Rebuild(fold.Events), strict: true);
    }

    [Fact]
    public void Signals_folded_at_different_moments_get_events_of_their_own()
    {
        var fold = new Fold(Settings);
        fold.Add(Signal("s1", "intrusion", 0, 10), T0.AddSeconds(11));
        fold.Add(Signal("s2", "intrusion", 20, 30), T0.AddSeconds(31));
        fold.Add(Signal("s3", "intrusion", 40, 50), T0.AddSeconds(51));

        Assert.Equal([["s2"], ["s3"]], fold.Events.OfType<IncidentSignalsAttached>().Select(e => e.Signals.Select(signal => signal.Id)));
    }

    [Fact]
    public void A_stored_attachment_of_the_earlier_one_signal_form_still_counts_its_signal()
    {
        var fold = new Fold(Settings);
        var opened = fold.Add(Signal("s1", "loitering", 0, 130), T0.AddSeconds(131));
        // As fusion wrote it before signals shared events, with its keys in the order jsonb keeps them.
        var earlier = IncidentEventJson.Read(
            $$"""{"at": "2026-11-24T12:03:20+00:00", "type": "signalAttached", "actor": "fusion", "orgId": "{{opened.OrgId}}", "zoneId": "shelf-1", "version": 2, "cameraId": "cam-1", "signalAt": "2026-11-24T12:03:10+00:00", "signalId": "s2", "incidentId": "{{opened.IncidentId}}", "signalKind": "product_removal", "schemaVersion": 1}""");

        var state = IncidentProjection.Apply(opened, earlier);

        Assert.Equal(2, state.SignalCount);
        Assert.Equal(["loitering", "product_removal"], state.SignalKinds);
        Assert.Equal(T0.AddSeconds(190), state.LastSignalAt);
        Assert.Equal(["s2"], IncidentProjection.SignalIdsOf(earlier));
    }

    private static IncidentState Rebuild(IEnumerable<IncidentEvent> events) =>
        events.Aggregate((IncidentState?)null, IncidentProjection.Apply)!;

    [Fact]
    public void Signals_in_different_zones_or_of_different_kinds_form_separate_incidents()
    {
        var fold = new Fold(Settings);
        var a = fold.Add(Signal("s1", "loitering", 0, 130, zone: "shelf-1"), T0.AddSeconds(131));
        var b = fold.Add(Signal("s2", "loitering", 10, 140, zone: "shelf-2"), T0.AddSeconds(141));
        var c = fold.Add(Signal("s3", "intrusion", 20, 25, zone: "shelf-1"), T0.AddSeconds(141));

        Assert.Equal(3, new[] { a.IncidentId, b.IncidentId, c.IncidentId }.Distinct().Count());
    }

    [Fact]
    public void Loitering_and_product_removal_in_one_zone_become_one_suspected_theft_at_high_severity_with_the_reason()
    {
        var fold = new Fold(Settings);
        fold.Add(Signal("s1", "loitering", 0, 130), T0.AddSeconds(131));
        var theft = fold.Add(Signal("s2", "product_removal", 150, 160, severity: Severity.Medium), T0.AddSeconds(161));

        Assert.Single(fold.Incidents);
        Assert.Equal("suspected_theft", theft.Kind);
        Assert.Equal(Severity.High, theft.Severity);
        Assert.Contains("loitering and product_removal", theft.SeverityReason);
        Assert.Equal(["loitering", "product_removal"], theft.SignalKinds);
        var changed = fold.Events[^1];
        Assert.Equal("s2", Assert.IsType<IncidentSeverityChanged>(changed).SignalId);
    }

    [Fact]
    public void Product_removal_in_another_zone_is_not_fused_with_loitering()
    {
        var fold = new Fold(Settings);
        fold.Add(Signal("s1", "loitering", 0, 130, zone: "shelf-1"), T0.AddSeconds(131));
        var removal = fold.Add(Signal("s2", "product_removal", 150, 160, zone: "shelf-2"), T0.AddSeconds(161));

        Assert.Equal(2, fold.Incidents.Count);
        Assert.Equal("product_removal", removal.Kind);
        Assert.DoesNotContain(fold.Events, e => e.Type == IncidentEventType.SeverityChanged);
    }

    [Fact]
    public void A_fall_and_crowding_on_two_cameras_of_one_site_become_one_critical_incident()
    {
        var fold = new Fold(Settings);
        fold.Add(Signal("s1", "fall", 0, 10, zone: null, camera: "cam-1", severity: Severity.High, domain: Domain.Safety), T0.AddSeconds(11));
        var fused = fold.Add(Signal("s2", "crowding", 20, 50, zone: "aisle", camera: "cam-2", severity: Severity.Medium, domain: Domain.Safety), T0.AddSeconds(51));

        Assert.Single(fold.Incidents);
        Assert.Equal("fall_in_crowd", fused.Kind);
        Assert.Equal(Severity.Critical, fused.Severity);
        // Two cameras: the incident is about the site, not one camera.
        Assert.Null(fused.CameraId);
    }

    [Fact]
    public void A_more_severe_signal_raises_the_incidents_severity_and_says_why()
    {
        var fold = new Fold(Settings);
        fold.Add(Signal("s1", "intrusion", 0, 5, zone: "vault", severity: Severity.Medium), T0.AddSeconds(6));
        var raised = fold.Add(Signal("s2", "intrusion", 30, 40, zone: "vault", severity: Severity.Critical), T0.AddSeconds(41));
        var same = fold.Add(Signal("s3", "intrusion", 60, 70, zone: "vault", severity: Severity.Low), T0.AddSeconds(71));

        Assert.Equal(Severity.Critical, raised.Severity);
        Assert.Contains("s2", raised.SeverityReason);
        Assert.Equal(Severity.Critical, same.Severity);
        Assert.Single(fold.Events, e => e.Type == IncidentEventType.SeverityChanged);
    }

    [Fact]
    public void A_signal_soon_after_resolution_reopens_the_incident_and_a_late_one_opens_a_new_incident()
    {
        var fold = new Fold(Settings);
        var opened = fold.Add(Signal("s1", "loitering", 0, 130), T0.AddSeconds(131));
        var resolvedAt = T0.AddSeconds(1000);
        Resolve(fold, opened, resolvedAt);

        var reopened = fold.Add(Signal("s2", "loitering", 1100, 1230), resolvedAt.AddSeconds(300));
        Assert.Equal(opened.IncidentId, reopened.IncidentId);
        Assert.Equal(IncidentStatus.Open, reopened.Status);
        Assert.Contains(fold.Events, e => e.Type == IncidentEventType.Reopened);

        Resolve(fold, reopened, resolvedAt.AddSeconds(400));
        var fresh = fold.Add(Signal("s3", "loitering", 3000, 3130), resolvedAt.AddSeconds(400 + 601));
        Assert.NotEqual(opened.IncidentId, fresh.IncidentId);
    }

    [Fact]
    public void A_matching_silence_marks_the_opening_silenced_and_others_do_not()
    {
        var now = T0.AddSeconds(131);
        Silence Silence(string id, string? zone, string? kind, DateTimeOffset ends) => new()
        {
            SilenceId = id,
            OrgId = "org-1",
            ZoneId = zone,
            Kind = kind,
            StartsAt = T0,
            EndsAt = ends,
            CreatedBy = "test",
            CreatedAt = T0,
        };

        var fold = new Fold(Settings);
        var silenced = fold.Add(Signal("s1", "loitering", 0, 130, zone: "shelf-1"), now,
            Silence("other-zone", "shelf-2", null, now.AddHours(1)),
            Silence("expired", "shelf-1", null, now.AddSeconds(-1)),
            Silence("match", "shelf-1", "loitering", now.AddHours(1)));
        var loud = fold.Add(Signal("s2", "loitering", 0, 130, zone: "shelf-3"), now, Silence("other-kind", "shelf-3", "intrusion", now.AddHours(1)));

        Assert.Equal("match", silenced.SilenceId);
        Assert.Equal("match", Assert.IsType<IncidentOpened>(fold.Events[0]).SilenceId);
        Assert.True(silenced.ToContract([]).Silenced);
        Assert.Null(loud.SilenceId);
    }

    [Fact]
    public void The_projection_refuses_an_event_that_skips_a_version()
    {
        var fold = new Fold(Settings);
        var opened = fold.Add(Signal("s1", "loitering", 0, 130), T0.AddSeconds(131));
        var skipping = new IncidentAcknowledged
        {
            IncidentId = opened.IncidentId,
            OrgId = opened.OrgId,
            Version = opened.Version + 2,
            At = T0.AddSeconds(200),
            Actor = "test",
            SchemaVersion = 1,
        };

        Assert.Throws<InvalidOperationException>(() => IncidentProjection.Apply(opened, skipping));
    }

    private static void Resolve(Fold fold, IncidentState incident, DateTimeOffset at)
    {
        var resolved = IncidentProjection.Apply(incident, new IncidentResolved
        {
            IncidentId = incident.IncidentId,
            OrgId = incident.OrgId,
            Version = incident.Version + 1,
            At = at,
            Actor = "test",
            Reason = "resolved by the test",
            SchemaVersion = 1,
        });
        fold.Newest[resolved.GroupKey] = resolved;
        fold.Incidents[resolved.IncidentId] = resolved;
    }
}
