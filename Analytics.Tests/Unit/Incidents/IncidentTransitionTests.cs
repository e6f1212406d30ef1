using Analytics.Incidents;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Incidents;

/// <summary>What an operator's action does to an incident, decided by the incident itself, without a database.</summary>
public sealed class IncidentTransitionTests
{
    private static readonly DateTimeOffset OpenedAt = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = OpenedAt.AddMinutes(5);

    [Fact]
    public void Acknowledging_an_open_incident_appends_the_next_version_and_acknowledges_it()
    {
        var open = Opened();

        var append = Assert.IsType<IncidentTransition.Append>(open.Acknowledge("key:abc", Now, "on my way"));

        var acknowledged = Assert.IsType<IncidentAcknowledged>(append.Event);
        Assert.Equal(IncidentEventType.Acknowledged, append.Event.Type);
        Assert.Equal((open.OrgId, open.IncidentId, 2), (append.Event.OrgId, append.Event.IncidentId, append.Event.Version));
        Assert.Equal(("key:abc", "on my way", Now), (append.Event.Actor, acknowledged.Comment, append.Event.At));
        Assert.Equal(EventTypes.CurrentVersion.IncidentEvent, append.Event.SchemaVersion);
        Assert.Equal(IncidentStatus.Acknowledged, append.After.Status);
        Assert.Equal(Now, append.After.AcknowledgedAt);
        // The state after is what the projection makes of the event, so the live row and a rebuild agree.
        Assert.Equal(IncidentProjection.Apply(open, append.Event), append.After);
    }

    [Fact]
    public void Acknowledging_twice_changes_nothing()
    {
        var acknowledged = After(Opened().Acknowledge("key:abc", Now, null));

        Assert.IsType<IncidentTransition.Unchanged>(acknowledged.Acknowledge("key:def", Now.AddMinutes(1), null));
    }

    [Fact]
    public void A_resolved_incident_cannot_be_acknowledged_and_says_why()
    {
        var resolved = After(Opened().Resolve("key:abc", Now, null));

        var refused = Assert.IsType<IncidentTransition.Refused>(resolved.Acknowledge("key:abc", Now.AddMinutes(1), null));

        Assert.Contains("resolved incident cannot be acknowledged", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolving_records_that_an_operator_resolved_it_and_resolving_again_changes_nothing()
    {
        var acknowledged = After(Opened().Acknowledge("key:abc", Now, null));

        var append = Assert.IsType<IncidentTransition.Append>(acknowledged.Resolve("key:abc", Now.AddMinutes(1), "  "));

        var resolved = Assert.IsType<IncidentResolved>(append.Event);
        Assert.Equal((3, IncidentState.ResolvedByOperator), (resolved.Version, resolved.Reason));
        // A blank comment is no comment.
        Assert.Null(resolved.Comment);
        Assert.Equal((IncidentStatus.Resolved, IncidentState.ResolvedByOperator), (append.After.Status, append.After.Resolution));
        Assert.IsType<IncidentTransition.Unchanged>(append.After.Resolve("key:abc", Now.AddMinutes(2), null));
    }

    [Fact]
    public void A_comment_is_appended_in_any_state_and_changes_only_the_version()
    {
        var resolved = After(Opened().Resolve("key:abc", Now, null));

        var append = Assert.IsType<IncidentTransition.Append>(resolved.Comment("key:def", Now.AddMinutes(1), "false alarm: a cleaner"));

        Assert.Equal("false alarm: a cleaner", Assert.IsType<IncidentCommented>(append.Event).Comment);
        Assert.Equal(resolved with { Version = resolved.Version + 1, UpdatedAt = Now.AddMinutes(1) }, append.After);
    }

    [Fact]
    public void A_comment_without_text_is_refused()
    {
        var refused = Assert.IsType<IncidentTransition.Refused>(Opened().Comment("key:abc", Now, " \n"));

        Assert.Contains("needs text", refused.Reason, StringComparison.Ordinal);
    }

    private static IncidentState After(IncidentTransition transition) => Assert.IsType<IncidentTransition.Append>(transition).After;

    private static IncidentState Opened() => IncidentProjection.Apply(null, new IncidentOpened
    {
        IncidentId = "inc-1",
        OrgId = "org-1",
        Version = 1,
        At = OpenedAt,
        Actor = "fusion",
        Domain = Domain.Safety,
        Kind = "intrusion",
        Severity = Severity.High,
        SiteId = "site-1",
        CameraId = "cam-1",
        GroupKey = "site-1/cam-1/intrusion",
        Reason = "intrusion signal s-1 was high",
        SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
    });
}
