using System.Text.Json;
using Analytics.Rules;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Rules;

public sealed class RulesLibraryTests
{
    private static readonly long _second = TimeSpan.TicksPerSecond;

    [Fact]
    public void Presence_counts_after_the_minimum_and_ends_at_the_last_sighting()
    {
        var presence = new PresenceTracker();
        Assert.Equal(PresenceChange.None, presence.Observe(0, true, 2 * _second, 5 * _second));
        Assert.Equal(PresenceChange.None, presence.Observe(1 * _second, true, 2 * _second, 5 * _second));
        Assert.Equal(PresenceChange.Confirmed, presence.Observe(2 * _second, true, 2 * _second, 5 * _second));
        // Gone for 4 s (within the grace): the same presence goes on.
        Assert.Equal(PresenceChange.None, presence.Observe(6 * _second, true, 2 * _second, 5 * _second));
        Assert.Equal(0, presence.StartTicks);
        Assert.Equal(PresenceChange.None, presence.Observe(8 * _second, false, 2 * _second, 5 * _second));
        Assert.Equal(PresenceChange.None, presence.Expire(11 * _second, 5 * _second));
        Assert.Equal(PresenceChange.Ended, presence.Expire(12 * _second, 5 * _second));
        Assert.Equal(6 * _second, presence.EndedLastSeenTicks);
        Assert.False(presence.IsOpen);
    }

    [Fact]
    public void A_presence_shorter_than_the_minimum_never_counts()
    {
        var presence = new PresenceTracker();
        presence.Observe(0, true, 2 * _second, 5 * _second);
        presence.Observe(1 * _second, true, 2 * _second, 5 * _second);
        // Back after 7 s (beyond the grace): a new presence starts.
        var change = presence.Observe(8 * _second, true, 2 * _second, 5 * _second);
        Assert.Equal(PresenceChange.None, change);
        Assert.Equal(8 * _second, presence.StartTicks);
    }

    [Fact]
    public void Signal_ids_are_stable_and_differ_in_every_part()
    {
        var at = new DateTimeOffset(2025, 3, 3, 10, 0, 0, TimeSpan.Zero);
        var id = SignalId.For("org", "loitering", "cam", "track", at);

        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(id, SignalId.For("org", "loitering", "cam", "track", at.ToOffset(TimeSpan.FromHours(2))));
        string[] others =
        [
            SignalId.For("org2", "loitering", "cam", "track", at),
            SignalId.For("org", "intrusion", "cam", "track", at),
            SignalId.For("org", "loitering", "cam2", "track", at),
            SignalId.For("org", "loitering", "cam", "track2", at),
            SignalId.For("org", "loitering", "cam", "track", at.AddTicks(1)),
            // Length prefixes keep shifted boundaries apart.
            SignalId.For("or", "gloitering", "cam", "track", at),
        ];
        Assert.DoesNotContain(id, others);
        Assert.Equal(others.Length, others.Distinct().Count());
    }

    [Fact]
    public void Zone_containment_uses_the_feet_of_a_box()
    {
        var zone = new ZoneShape(ValidZone(), 0);
        Assert.True(zone.Contains(0.5, 0.5));
        Assert.False(zone.Contains(0.05, 0.5));
        Assert.False(zone.Contains(0.5, 0.95));
    }

    [Fact]
    public void Valid_zones_pass_and_round_trip()
    {
        var zone = ValidZone() with
        {
            Schedule = new ActiveHours { TimeZone = "America/New_York", Start = new TimeOnly(22, 0), End = new TimeOnly(6, 0), Days = [Weekday.Friday] },
        };

        Assert.Empty(ContractValidator.Validate(zone, DateTimeOffset.UtcNow));
        var json = JsonSerializer.Serialize(zone, AnalyticsJsonContext.Default.Zone);
        Assert.Contains("\"kind\":\"shelf\"", json, StringComparison.Ordinal);
        Assert.Contains("\"days\":[\"friday\"]", json, StringComparison.Ordinal);
        var read = JsonSerializer.Deserialize(json, AnalyticsJsonContext.Default.Zone)!;
        Assert.Equal(json, JsonSerializer.Serialize(read, AnalyticsJsonContext.Default.Zone));
    }

    [Theory]
    [InlineData("bowtie", "$.polygon")]
    [InlineData("two points", "$.polygon")]
    [InlineData("outside", "$.polygon[1].x")]
    [InlineData("repeated point", "$.polygon")]
    [InlineData("collinear", "$.polygon")]
    [InlineData("time zone", "$.schedule.timeZone")]
    [InlineData("windows time zone", "$.schedule.timeZone")]
    public void Invalid_zones_are_rejected_at_the_offending_field(string defect, string path)
    {
        var zone = defect switch
        {
            "bowtie" => ValidZone() with { Polygon = [new(0.1, 0.1), new(0.9, 0.9), new(0.9, 0.1), new(0.1, 0.9)] },
            "two points" => ValidZone() with { Polygon = [new(0.1, 0.1), new(0.9, 0.9)] },
            "outside" => ValidZone() with { Polygon = [new(0.1, 0.1), new(1.2, 0.1), new(0.9, 0.9)] },
            "repeated point" => ValidZone() with { Polygon = [new(0.1, 0.1), new(0.9, 0.1), new(0.9, 0.9), new(0.9, 0.1)] },
            "collinear" => ValidZone() with { Polygon = [new(0.1, 0.1), new(0.5, 0.1), new(0.9, 0.1)] },
            "time zone" => ValidZone() with { Schedule = new ActiveHours { TimeZone = "Mars/Olympus", Start = new TimeOnly(8, 0), End = new TimeOnly(18, 0) } },
            _ => ValidZone() with { Schedule = new ActiveHours { TimeZone = "W. Europe Standard Time", Start = new TimeOnly(8, 0), End = new TimeOnly(18, 0) } },
        };

        var problems = ContractValidator.Validate(zone, DateTimeOffset.UtcNow);

        Assert.Contains(problems, problem => problem.Path == path);
    }

    [Theory]
    [InlineData(2025, 3, 7, 23, 30, true)]  // Friday evening, inside Friday's window.
    [InlineData(2025, 3, 8, 5, 59, true)]   // Saturday morning, still Friday's window.
    [InlineData(2025, 3, 8, 6, 0, false)]   // The end is exclusive.
    [InlineData(2025, 3, 8, 23, 0, false)]  // Saturday evening: no Saturday window.
    [InlineData(2025, 3, 7, 5, 0, false)]   // Friday morning belongs to Thursday's window.
    public void Active_hours_cross_midnight_in_local_time(int year, int month, int day, int hour, int minute, bool active)
    {
        var hours = new ActiveHours { TimeZone = "America/New_York", Start = new TimeOnly(22, 0), End = new TimeOnly(6, 0), Days = [Weekday.Friday] };
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var local = new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Unspecified);
        var instant = new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();

        Assert.Equal(active, hours.IsActive(instant));
    }

    [Fact]
    public void Rules_follow_a_zone_update_that_keeps_a_zone_id()
    {
        var scene = new Scene();
        scene.Zone("shelf-1", ZoneKind.Shelf, 0.1, 0.5, 0.4, 0.9);
        scene.Person("stayer", 0.2, 0.7).Stay(70);
        var observations = scene.Observations();
        var rule = new Analytics.Antitheft.Rules.LoiteringRule(new() { LoiteringSeconds = 60 });
        var sink = new SignalBuffer();
        var before = scene.Context();
        // The operator adds an exit zone half-way through; the shelf dwell goes on.
        var after = new RuleContext(Scene.OrgId, Scene.CameraId, [.. scene.Zones, ValidZone() with { ZoneId = "exit-9", Kind = ZoneKind.Exit, Polygon = [new(0.9, 0.1), new(1, 0.1), new(1, 0.2)] }]);
        foreach (var observation in observations)
        {
            rule.Observe(observation, observation.OccurredAt < scene.At(30) ? before : after, sink);
        }

        var signal = Assert.Single(sink.Signals);
        Assert.Equal(scene.Start, signal.StartedAt);
    }

    private static Zone ValidZone() => new()
    {
        OrgId = Scene.OrgId,
        SiteId = Scene.SiteId,
        CameraId = Scene.CameraId,
        ZoneId = "zone-1",
        Name = "Zone 1",
        Kind = ZoneKind.Shelf,
        Polygon = [new(0.1, 0.1), new(0.9, 0.1), new(0.9, 0.9), new(0.1, 0.9)],
    };
}
