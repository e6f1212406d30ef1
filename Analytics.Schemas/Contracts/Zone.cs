using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>What a zone is for; the rules decide by kind which behaviours they look for in it.</summary>
[JsonConverter(typeof(StrictEnumConverter<ZoneKind>))]
public enum ZoneKind
{
    [JsonStringEnumMemberName("shelf")] Shelf,
    [JsonStringEnumMemberName("exit")] Exit,
    [JsonStringEnumMemberName("checkout")] Checkout,
    [JsonStringEnumMemberName("restricted")] Restricted,
    [JsonStringEnumMemberName("workArea")] WorkArea,
    [JsonStringEnumMemberName("classroom")] Classroom,
}

/// <summary>A day of the week; the numeric values equal <see cref="DayOfWeek"/> so the two convert by cast.</summary>
[JsonConverter(typeof(StrictEnumConverter<Weekday>))]
public enum Weekday
{
    [JsonStringEnumMemberName("sunday")] Sunday = 0,
    [JsonStringEnumMemberName("monday")] Monday = 1,
    [JsonStringEnumMemberName("tuesday")] Tuesday = 2,
    [JsonStringEnumMemberName("wednesday")] Wednesday = 3,
    [JsonStringEnumMemberName("thursday")] Thursday = 4,
    [JsonStringEnumMemberName("friday")] Friday = 5,
    [JsonStringEnumMemberName("saturday")] Saturday = 6,
}

/// <summary>A vertex in normalized image coordinates, the same frame as <see cref="BoundingBox"/>.</summary>
[Description("Vertex in normalized image coordinates; origin top-left, image spans [0, 1] on both axes.")]
public sealed record Point(
    [property: Range(0.0, 1.0), Description("Fraction of image width.")] double X,
    [property: Range(0.0, 1.0), Description("Fraction of image height.")] double Y);

/// <summary>
/// An area of one camera's image that the rules reason about, e.g. a shelf or an exit. Zones are
/// drawn per camera because the same floor area looks different in every camera.
/// </summary>
[Description("Named area of one camera's image, a simple polygon in normalized coordinates.")]
[ContractRule<ZoneRule>]
public sealed record Zone
{
    [Id, Description("Organization that owns the site.")]
    public required string OrgId { get; init; }

    [Id, Description("Site the camera belongs to.")]
    public required string SiteId { get; init; }

    [Id, Description("Camera in whose image the polygon is drawn.")]
    public required string CameraId { get; init; }

    [Id, Description("Zone id, unique within the organization.")]
    public required string ZoneId { get; init; }

    [Id, Description("Name shown to operators.")]
    public required string Name { get; init; }

    [Description("What the zone is for.")]
    public required ZoneKind Kind { get; init; }

    [MinLength(3), Description("Vertices of a simple (not self-intersecting) polygon inside the unit square, in order.")]
    public required IReadOnlyList<Point> Polygon { get; init; }

    // A restricted zone with a schedule is guarded only outside it: a stock room is open to staff
    // during the day and an intrusion at night.
    [Description("Hours in which the zone is in normal use; a restricted zone with a schedule is guarded only outside them. Omitted: no schedule.")]
    public ActiveHours? Schedule { get; init; }

    // Null and empty differ: omitted means "what suits this kind of zone", an empty list means
    // "no rule here" (a zone drawn only to be named in incidents).
    [ZoneRuleNames, Description("Rules that run in this zone, by name. Omitted: the defaults of the zone's kind (see the README's table of rules); empty: none. product_removal needs a shelf, checkout or exit zone, whose kind gives its role.")]
    public IReadOnlyList<string>? Rules { get; init; }

    [Description("Thresholds that replace the services' settings in this zone; omitted ones keep the settings.")]
    public ZoneThresholds? Thresholds { get; init; }
}

/// <summary>Per-zone overrides of the rule thresholds that depend on the place: a wide hall holds more people than a corridor.</summary>
[Description("Per-zone overrides of rule thresholds; each omitted one keeps the service's setting.")]
public sealed record ZoneThresholds
{
    [Range(1, 3600), Description("Dwell after which a person counts as loitering here (Antitheft:LoiteringSeconds).")]
    public int? LoiteringSeconds { get; init; }

    [Range(2, 1000), Description("People at once from which this zone counts as crowded (Safety:CrowdingCount).")]
    public int? CrowdingCount { get; init; }

    [Range(1, 3600), Description("How long the crowd must persist here (Safety:CrowdingSeconds).")]
    public int? CrowdingSeconds { get; init; }

    [Range(1, 3600), Description("How long missing protective equipment must persist here (Safety:MissingPpeSeconds).")]
    public int? MissingPpeSeconds { get; init; }

    [Range(0.0, 1.0), Description("Mean engagement below which a window in this classroom counts as low (Education:LowEngagementThreshold).")]
    public double? LowEngagementThreshold { get; init; }
}

/// <summary>
/// A weekly window in local time. <see cref="Start"/> after <see cref="End"/> means the window
/// crosses midnight and belongs to the day it starts on; equal times mean the whole day.
/// </summary>
[Description("Weekly window in local time; start after end crosses midnight, start equal to end is the whole day.")]
[ContractRule<ActiveHoursRule>]
public sealed record ActiveHours
{
    [Id, Description("IANA time zone id, e.g. Europe/Berlin.")]
    public required string TimeZone { get; init; }

    [Description("Local start time (inclusive).")]
    public required TimeOnly Start { get; init; }

    [Description("Local end time (exclusive).")]
    public required TimeOnly End { get; init; }

    // The serializer assigns every init-only member, absent ones as null, so the default is
    // restored here; an omitted list means every day.
    [Description("Days on which a window starts; empty or omitted means every day.")]
    public IReadOnlyList<Weekday> Days
    {
        get => _days;
        init => _days = value ?? [];
    }

    private readonly IReadOnlyList<Weekday> _days = [];

    /// <summary>Whether <paramref name="instant"/> lies inside a window.</summary>
    /// <exception cref="TimeZoneNotFoundException"><see cref="TimeZone"/> is not a known time zone id.</exception>
    public bool IsActive(DateTimeOffset instant) => IsActive(instant, TimeZoneInfo.FindSystemTimeZoneById(TimeZone));

    /// <summary>Whether <paramref name="instant"/> lies inside a window, with the time zone already resolved.</summary>
    public bool IsActive(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        var time = TimeOnly.FromTimeSpan(local.TimeOfDay);
        var today = local.DayOfWeek;
        if (Start == End)
        {
            return RunsOn(today);
        }

        if (Start < End)
        {
            return RunsOn(today) && time >= Start && time < End;
        }

        // Crossing midnight: the evening part belongs to today's window, the morning part to yesterday's.
        var yesterday = (DayOfWeek)(((int)today + 6) % 7);
        return (time >= Start && RunsOn(today)) || (time < End && RunsOn(yesterday));
    }

    private bool RunsOn(DayOfWeek day)
    {
        if (_days.Count == 0)
        {
            return true;
        }

        for (var i = 0; i < _days.Count; i++)
        {
            if ((int)_days[i] == (int)day)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// A zone's polygon is simple (the JSON Schema can only count its points), and product_removal
/// runs only where the zone's kind gives it a role.
/// </summary>
internal sealed class ZoneRule : IContractRule<Zone>
{
    public void Check(Zone zone, ContractContext context)
    {
        if (zone.Polygon is { Count: >= 3 } polygon && polygon.All(point => point is { X: >= 0 and <= 1, Y: >= 0 and <= 1 })
            && !PolygonGeometry.IsSimple(polygon))
        {
            context.Report("polygon", "must be a simple polygon: no self-intersection, no repeated point, non-zero area");
        }
        if (zone.Rules is { } rules && zone.Kind is not (ZoneKind.Shelf or ZoneKind.Checkout or ZoneKind.Exit))
        {
            // The first mention only: a repeat is already reported by the field's own check.
            var index = rules.ToList().IndexOf(RuleCatalog.ProductRemoval.Name);
            if (index >= 0)
            {
                context.Report("rules", index, ContractContext.Invariant(
                    $"product_removal takes its role from a shelf, checkout or exit zone; this zone is a {Wire.Name(zone.Kind)}"));
            }
        }
    }
}

/// <summary>The time zone of a schedule is one the platform can resolve.</summary>
internal sealed class ActiveHoursRule : IContractRule<ActiveHours>
{
    public void Check(ActiveHours schedule, ContractContext context) => IanaTimeZone(context, "timeZone", schedule.TimeZone);

    // IANA only: Windows ids resolve on some hosts and not on others, so a stored one could stop
    // working when a service moves. The JSON Schema cannot list the ids: they come with the host.
    internal static void IanaTimeZone(ContractContext context, string member, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value) && value.Length <= ContractLimits.MaxIdLength
            && (!TimeZoneInfo.TryFindSystemTimeZoneById(value, out var timeZone) || !timeZone.HasIanaId))
        {
            context.Report(member, ContractContext.Invariant($"must be an IANA time zone id such as Europe/Berlin, was '{value}'"));
        }
    }
}
