using System.ComponentModel;

namespace Analytics.Incidents;

/// <summary>
/// Incidents opened in a window, per site and kind and per bucket of time, shaped for a chart:
/// bucket <c>i</c> of every series covers <c>[from + i × bucketMinutes, from + (i + 1) × bucketMinutes)</c>.
/// </summary>
[Description("Incidents opened from `from` until `to`, per site and kind, counted per bucket of `bucketMinutes`: " +
    "`counts[i]` of every series covers [from + i × bucketMinutes, from + (i + 1) × bucketMinutes).")]
public sealed record IncidentOverview(
    [property: Description("Start of the window and of the first bucket, UTC: `hours` before `to`.")] DateTimeOffset From,
    [property: Description("End of the window (exclusive), UTC: the end of the minute in which the overview was made.")] DateTimeOffset To,
    [property: Description("Length of the window in hours, as asked.")] int Hours,
    [property: Description("Length of each bucket in minutes.")] int BucketMinutes,
    [property: Description("Incidents opened in the window, of every series.")] long Total,
    [property: Description("One series per site and kind with at least one incident in the window, ordered by siteId, then kind.")] IReadOnlyList<IncidentSeries> Series);

/// <summary>The incidents of one kind opened at one site, per bucket.</summary>
[Description("Incidents of one kind opened at one site, per bucket.")]
public sealed record IncidentSeries(
    [property: Description("Site the incidents are at.")] string SiteId,
    [property: Description("Their kind, e.g. loitering.")] string Kind,
    [property: Description("All of them in the window: the sum of `counts`.")] long Total,
    [property: Description("How many opened in each bucket, oldest first; one number per bucket.")] IReadOnlyList<long> Counts);

/// <summary>How many incidents of one kind opened at one site in the bucket starting at <see cref="BucketStart"/>.</summary>
public sealed record OpenedInBucket(string SiteId, string Kind, DateTimeOffset BucketStart, long Count);

/// <summary>
/// The window an overview counts: <see cref="Hours"/> ending with the minute of "now", in buckets
/// of <see cref="Bucket"/>. Whole minutes, so the window and the buckets' starts read cleanly on a
/// chart's axis; the end is the end of the current minute, so an incident opened a moment ago counts.
/// </summary>
public sealed record OverviewWindow
{
    public const int DefaultHours = 24;
    public const int MinHours = 1;

    /// <summary>A week: enough for a weekly chart, and the query stays a short range of one index.</summary>
    public const int MaxHours = 168;

    /// <summary>One bucket per hour: 24 bars for a day, 168 for a week.</summary>
    public static readonly TimeSpan Bucket = TimeSpan.FromHours(1);

    public DateTimeOffset From { get; }
    public DateTimeOffset To { get; }
    public int Hours { get; }

    private OverviewWindow(DateTimeOffset from, DateTimeOffset to, int hours) => (From, To, Hours) = (from, to, hours);

    /// <summary>How many buckets the window has: one per hour.</summary>
    public int Buckets => (int)((To - From).Ticks / Bucket.Ticks);

    /// <summary>The <paramref name="hours"/> ending with the minute of <paramref name="now"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="hours"/> is not between <see cref="MinHours"/> and <see cref="MaxHours"/>.</exception>
    public static OverviewWindow Ending(DateTimeOffset now, int hours)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hours, MinHours);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hours, MaxHours);
        var utc = now.ToUniversalTime();
        var to = new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero).AddMinutes(1);
        return new OverviewWindow(to.AddHours(-hours), to, hours);
    }

    /// <summary>The bucket <paramref name="at"/> falls in; null outside the window.</summary>
    public int? BucketOf(DateTimeOffset at) =>
        at < From || at >= To ? null : (int)((at - From).Ticks / Bucket.Ticks);

    /// <summary>
    /// The chart of <paramref name="opened"/>: one series per site and kind, a count for every
    /// bucket (zero where none opened). Counts outside the window are left out.
    /// </summary>
    public IncidentOverview Chart(IEnumerable<OpenedInBucket> opened)
    {
        var series = new SortedDictionary<(string SiteId, string Kind), long[]>(Comparer<(string SiteId, string Kind)>.Create(
            (a, b) => string.CompareOrdinal(a.SiteId, b.SiteId) is var bySite and not 0 ? bySite : string.CompareOrdinal(a.Kind, b.Kind)));
        foreach (var (siteId, kind, bucketStart, count) in opened)
        {
            if (BucketOf(bucketStart) is not { } bucket || count <= 0)
            {
                continue;
            }
            if (!series.TryGetValue((siteId, kind), out var counts))
            {
                series[(siteId, kind)] = counts = new long[Buckets];
            }
            counts[bucket] += count;
        }
        var items = series.Select(s => new IncidentSeries(s.Key.SiteId, s.Key.Kind, s.Value.Sum(), s.Value)).ToList();
        return new IncidentOverview(From, To, Hours, (int)Bucket.TotalMinutes, items.Sum(s => s.Total), items);
    }
}
