using Analytics.Incidents;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Incidents;

/// <summary>The overview's window and buckets, and the chart it makes of counted rows, without a database.</summary>
public sealed class IncidentOverviewTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 14, 20, 35, 123, TimeSpan.Zero);

    [Fact]
    public void The_window_ends_with_the_minute_of_now_and_starts_the_asked_hours_before()
    {
        var window = OverviewWindow.Ending(Now, 24);

        Assert.Equal(new DateTimeOffset(2026, 3, 1, 14, 21, 0, TimeSpan.Zero), window.To);
        Assert.Equal(new DateTimeOffset(2026, 2, 28, 14, 21, 0, TimeSpan.Zero), window.From);
        Assert.Equal(24, window.Buckets);
        Assert.Equal(TimeSpan.Zero, window.From.Offset);
    }

    [Fact]
    public void Now_on_a_whole_minute_still_falls_inside_the_window()
    {
        var onTheMinute = new DateTimeOffset(2026, 3, 1, 14, 20, 0, TimeSpan.Zero);

        var window = OverviewWindow.Ending(onTheMinute, 1);

        Assert.Equal(onTheMinute.AddMinutes(1), window.To);
        Assert.Equal(0, window.BucketOf(onTheMinute));
    }

    [Fact]
    public void A_clock_with_an_offset_gives_the_same_window_in_utc()
    {
        var window = OverviewWindow.Ending(Now.ToOffset(TimeSpan.FromHours(5.5)), 24);

        Assert.Equal(OverviewWindow.Ending(Now, 24).From, window.From);
        Assert.Equal(TimeSpan.Zero, window.To.Offset);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(59.99, 0)]
    [InlineData(60, 1)]
    [InlineData(61, 1)]
    [InlineData(23 * 60, 23)]
    [InlineData(24 * 60 - 0.001, 23)]
    public void An_instant_falls_into_the_hour_counted_from_the_start(double minutesAfterFrom, int bucket)
    {
        var window = OverviewWindow.Ending(Now, 24);

        Assert.Equal(bucket, window.BucketOf(window.From.AddMinutes(minutesAfterFrom)));
    }

    [Fact]
    public void Instants_before_the_start_or_from_the_end_on_are_outside()
    {
        var window = OverviewWindow.Ending(Now, 24);

        Assert.Null(window.BucketOf(window.From.AddTicks(-1)));
        Assert.Null(window.BucketOf(window.To));
        Assert.Null(window.BucketOf(window.From.AddHours(-30)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(169)]
    [InlineData(-1)]
    public void Hours_outside_one_to_a_week_are_refused(int hours) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => OverviewWindow.Ending(Now, hours));

    [Fact]
    public void A_week_has_one_bucket_per_hour()
    {
        var window = OverviewWindow.Ending(Now, OverviewWindow.MaxHours);

        Assert.Equal(168, window.Buckets);
        Assert.Equal(167, window.BucketOf(Now));
    }

    [Fact]
    public void The_chart_has_one_series_per_site_and_kind_ordered_with_a_count_for_every_bucket()
    {
        var window = OverviewWindow.Ending(Now, 24);
        var hour = (int n) => window.From.AddHours(n);

        var overview = window.Chart(
        [
            new OpenedInBucket("store-2", "loitering", hour(23), 1),
            new OpenedInBucket("store-1", "loitering", hour(0), 2),
            new OpenedInBucket("store-1", "intrusion", hour(5), 3),
            new OpenedInBucket("store-1", "loitering", hour(23), 4),
        ]);

        Assert.Equal((window.From, window.To, 24, 60, 10L), (overview.From, overview.To, overview.Hours, overview.BucketMinutes, overview.Total));
        Assert.Equal([("store-1", "intrusion"), ("store-1", "loitering"), ("store-2", "loitering")], overview.Series.Select(s => (s.SiteId, s.Kind)));
        Assert.All(overview.Series, s => Assert.Equal(24, s.Counts.Count));
        var loitering = overview.Series[1];
        Assert.Equal(2, loitering.Counts[0]);
        Assert.Equal(4, loitering.Counts[23]);
        Assert.Equal(6, loitering.Total);
        Assert.Equal(6, loitering.Counts.Sum());
        Assert.Equal(3, overview.Series[0].Counts[5]);
        Assert.Equal(3, overview.Series[0].Counts.Sum());
    }

    [Fact]
    public void Counts_outside_the_window_are_left_out_and_an_empty_window_has_no_series()
    {
        var window = OverviewWindow.Ending(Now, 24);

        var overview = window.Chart(
        [
            new OpenedInBucket("store-1", "loitering", window.From.AddHours(-1), 5),
            new OpenedInBucket("store-1", "loitering", window.To, 5),
        ]);

        Assert.Empty(overview.Series);
        Assert.Equal(0, overview.Total);
        Assert.Empty(window.Chart([]).Series);
    }

    [Fact]
    public void Site_and_kind_are_ordered_by_their_characters_not_by_culture()
    {
        var window = OverviewWindow.Ending(Now, 1);

        var overview = window.Chart(
        [
            new OpenedInBucket("b", "x", window.From, 1),
            new OpenedInBucket("B", "x", window.From, 1),
            new OpenedInBucket("a", "x", window.From, 1),
        ]);

        Assert.Equal(["B", "a", "b"], overview.Series.Select(s => s.SiteId));
    }

    [Fact]
    public void Counts_name_every_status_and_add_up_to_the_total()
    {
        foreach (var status in Enum.GetValues<IncidentStatus>())
        {
            var counts = IncidentCounts.Of(new Dictionary<IncidentStatus, long> { [status] = 7 });

            // A status the counts forgot would leave the total at zero.
            Assert.Equal(7, counts.Total);
        }
        Assert.Equal(new IncidentCounts(1, 2, 3), IncidentCounts.Of(new Dictionary<IncidentStatus, long>
        {
            [IncidentStatus.Open] = 1, [IncidentStatus.Acknowledged] = 2, [IncidentStatus.Resolved] = 3,
        }));
        Assert.Equal(0, IncidentCounts.Of(new Dictionary<IncidentStatus, long>()).Total);
    }
}
